import type { Request, Response } from 'express';
import type { AppDeps, IngestReply } from '../app-deps';
import { actorOf } from '../auth';
import { httpError, sendFhir } from '../errors';
import { requireBody } from '../json-body';
import { RESULT_STATUS } from '../result-status';
import type { RouteSpec } from '../route-table';
import { isFhirId } from '../../../fhir/id-pattern';

/**
 * Practice records in (DESIGN.md §2 shapes, §8 routes). The body goes to the use case as it came:
 * the use case's schema refuses unknown fields, so no field can set a server-owned value; ids
 * from the path are passed separately and win.
 */

/**
 * The routes `POST /referrals`, `/referrals/:id/status`, `/consents`, `/consents/:id/revoke`,
 * `/integration-updates`.
 */
export function recordRoutes(deps: Pick<AppDeps, 'ingest'>): RouteSpec[] {
  const { ingest } = deps;
  return [
    post('/referrals', (req, res) => ingest.referral(requireBody(req.body), actorOf(res))),
    post('/consents', (req, res) => ingest.consent(requireBody(req.body), actorOf(res))),
    post('/referrals/:id/status', (req, res) => {
      const referralId = pathId(req.params.id);
      return ingest.status(referralId, bodyWithout(req.body, 'referralId', 'referral'), actorOf(res));
    }),
    post('/consents/:id/revoke', (req, res) => {
      const consentId = pathId(req.params.id);
      return ingest.revoke(consentId, bodyWithout(req.body, 'consentId', 'consent'), actorOf(res));
    }),
    post('/integration-updates', (req, res) => ingest.update(requireBody(req.body), actorOf(res))),
  ];
}

/** The body of a route whose record id comes from the path: naming it in the body too is refused. */
function bodyWithout(raw: unknown, field: string, label: string): unknown {
  const body = requireBody(raw);
  if (typeof body === 'object' && body !== null && Object.hasOwn(body, field)) {
    throw httpError(
      422,
      'invalid',
      `The ${label} id comes from the path; remove "${field}" from the body.`,
      field,
    );
  }
  return body;
}

function post(path: string, run: (req: Request, res: Response) => Promise<IngestReply>): RouteSpec {
  return {
    method: 'post',
    path,
    scope: 'ingest',
    body: true,
    handler: async (req, res) => sendIngestReply(res, await run(req, res)),
  };
}

/**
 * 201/200 with `{ status, recordId, outcome, outbox }`; a rejection is the OperationOutcome alone:
 * 409 when it is a `conflict` (a change to a consent a revocation made final, DESIGN.md §5),
 * else 422. The status comes from the outcome, as medplum's `sendOutcome` does.
 */
export function sendIngestReply(res: Response, result: IngestReply): void {
  if (result.status === 'rejected') {
    const conflict = (result.outcome.issue ?? []).some((i) => i.code === 'conflict');
    sendFhir(res, RESULT_STATUS[conflict ? 'conflict' : 'rejected'], result.outcome);
    return;
  }
  res.status(RESULT_STATUS[result.status]).json({
    status: result.status,
    recordId: result.recordId,
    outcome: result.outcome,
    outbox: result.outbox ?? [],
  });
}

/** A path id, checked against the id rule (400 otherwise; the value is not echoed). */
export function pathId(value: unknown, name = 'id'): string {
  if (typeof value !== 'string' || !isFhirId(value)) {
    throw httpError(400, 'value', `The ${name} in the path must be 1–64 letters, digits, '-' or '.'.`, name);
  }
  return value;
}
