import type { Bundle } from '@medplum/fhirtypes';
import type { Request, Response } from 'express';
import type { Actor, AppDeps, FhirResult } from '../app-deps';
import { actorOf } from '../auth';
import { httpError, sendFhir } from '../errors';
import { requireBody } from '../json-body';
import { RESULT_STATUS } from '../result-status';
import type { RouteSpec } from '../route-table';
import { readValidateInput, typeMismatch } from '../validate-input';

/**
 * FHIR endpoints from health systems (DESIGN.md §8), `application/fhir+json` both ways:
 * transaction/batch (http://hl7.org/fhir/R4/http.html#transaction), `$process-message`
 * (http://hl7.org/fhir/R4/messageheader-operation-process-message.html), `$validate`, metadata.
 */

/** A resource type name as FHIR spells them (http://hl7.org/fhir/R4/resourcelist.html). */
const TYPE = /^[A-Z][A-Za-z]{1,63}$/;

export function fhirRoutes(deps: Pick<AppDeps, 'ingest' | 'validate' | 'metadata' | 'replies'>): RouteSpec[] {
  return [
    {
      method: 'get',
      path: '/fhir/metadata',
      handler: (_req, res) => sendFhir(res, 200, deps.metadata()),
    },
    bundleRoute('/fhir', ['transaction', 'batch'], (b, a) => deps.ingest.fhirBundle(b, a)),
    bundleRoute('/fhir/$process-message', ['message'], (b, a) => deps.ingest.message(b, a)),
    replyRoute(deps),
    validateRoute('/fhir/$validate', deps),
    validateRoute('/fhir/:type/$validate', deps),
  ];
}

function bundleRoute(
  path: string,
  types: Array<NonNullable<Bundle['type']>>,
  run: (bundle: Bundle, actor: Actor) => Promise<FhirResult>,
): RouteSpec {
  return {
    method: 'post',
    path,
    scope: 'ingest',
    body: true,
    handler: async (req, res) => {
      const bundle = asBundle(requireBody(req.body), types);
      const result = await run(bundle, actorOf(res));
      // A refusal: 403 sender not bound to the key, 413 over the batch cap, else 422.
      if (result.status === 'processed') sendFhir(res, RESULT_STATUS.processed, result.response);
      else sendFhir(res, RESULT_STATUS[result.refusal ?? result.status], result.outcome);
    },
  };
}

/**
 * `POST /fhir/Communication`: a referring clinician's reply (DESIGN.md §6b), R4 create
 * (http.html#create). Answered with an OperationOutcome, not the resource: kap-bridge keeps the
 * reply for staff and offers no read of it, so there is no Location to give.
 */
function replyRoute(deps: Pick<AppDeps, 'replies'>): RouteSpec {
  return {
    method: 'post',
    path: '/fhir/Communication',
    scope: 'ingest',
    body: true,
    handler: async (req, res) => {
      const result = await deps.replies.receive(requireBody(req.body), actorOf(res));
      const status = result.status === 'rejected' ? (result.refusal ?? 'rejected') : result.status;
      sendFhir(res, RESULT_STATUS[status], result.outcome);
    },
  };
}

/** Narrows a parsed body to a Bundle of one of `types` (422 with the element at fault otherwise). */
function asBundle(body: unknown, types: ReadonlyArray<NonNullable<Bundle['type']>>): Bundle {
  const obj =
    typeof body === 'object' && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : undefined;
  if (obj?.resourceType !== 'Bundle') {
    throw httpError(422, 'invalid', 'This endpoint takes a Bundle.', 'resourceType');
  }
  if (!types.includes(obj.type as NonNullable<Bundle['type']>)) {
    throw httpError(422, 'value', `Bundle.type must be ${types.join(' or ')} here.`, 'Bundle.type');
  }
  return obj as unknown as Bundle;
}

function validateRoute(path: string, deps: Pick<AppDeps, 'validate'>): RouteSpec {
  return {
    method: 'post',
    path,
    scope: 'validate',
    body: true,
    // Always 200 with an OperationOutcome: the outcome carries the verdict (R4 $validate).
    handler: async (req: Request, res: Response) => {
      const pathType = typeof req.params.type === 'string' ? req.params.type : undefined;
      if (pathType !== undefined && !TYPE.test(pathType)) {
        throw httpError(404, 'not-found', 'The path does not name a resource type.');
      }
      const input = readValidateInput(requireBody(req.body), req.query.profile, pathType);
      if (!input.ok) return sendFhir(res, 200, input.outcome);
      const mismatch = pathType ? typeMismatch(input.resource, pathType) : undefined;
      if (mismatch) return sendFhir(res, 200, mismatch);
      const opts = input.profile === undefined ? {} : { profile: input.profile };
      sendFhir(res, 200, await deps.validate(input.resource, opts));
    },
  };
}
