import type { Bundle, BundleEntry, OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { isJsonObject } from '../fhir/json-object';
import { issue, outcome } from '../fhir/outcomes';
import type { FhirIngestResult } from './inbound-referral';
import type { IngestContext, IngestDeps } from './ingest-types';
import {
  ForbiddenReply,
  forbiddenReply,
  prepareReply,
  storeReplyWithin,
  type PreparedReply,
  type ReplyOrigin,
  type ReplyResult,
} from './receive-reply';
import { yieldToEventLoop } from './yield-to-event-loop';

/**
 * Replies in a `POST /fhir` Bundle (DESIGN.md §6b: "a transaction/batch entry, or
 * `POST /fhir/Communication`"): a `transaction` or `batch` whose entries are all Communications
 * (POST), each received as `POST /fhir/Communication` would be. A transaction is all-or-nothing
 * (R4 http.html#transaction): every reply prepared first, then stored in one store transaction —
 * any refusal (a 403 included) refuses the whole Bundle and stores nothing. A batch answers each
 * entry on its own. Referrals and replies are not mixed in one Bundle.
 */

/** True when every entry of the Bundle is a Communication: a Bundle of replies. */
export function isReplyBundle(bundle: Bundle): boolean {
  const entries: unknown[] = Array.isArray(bundle.entry) ? bundle.entry : [];
  return (
    entries.length > 0 &&
    entries.every(
      (e) => isJsonObject(e) && isJsonObject(e.resource) && e.resource.resourceType === 'Communication',
    )
  );
}

type Prepared = { ok: true; value: PreparedReply } | { ok: false; result: ReplyResult };

export async function ingestReplyBundle(
  deps: IngestDeps,
  bundle: Bundle,
  ctx: IngestContext,
): Promise<FhirIngestResult> {
  const origin: ReplyOrigin = {
    channel: 'push',
    keyName: ctx.actor ?? 'unknown',
    ...(ctx.senders ? { senders: ctx.senders } : {}),
  };
  const entries = bundle.entry ?? [];
  const prepared: Prepared[] = [];
  for (const [i, entry] of entries.entries()) {
    await yieldToEventLoop();
    const method = entry.request?.method;
    if (method !== 'POST') {
      const text = 'A reply is created with request.method POST.';
      const at = `Bundle.entry[${i}].request${method ? '.method' : ''}`;
      const code = method ? 'not-supported' : 'required';
      prepared.push({
        ok: false,
        result: { status: 'rejected', outcome: outcome([issue({ code, expression: at, text })]) },
      });
      continue;
    }
    prepared.push(await prepareReply(deps, entry.resource, origin));
  }
  return bundle.type === 'transaction'
    ? storeTransaction(deps, prepared, origin)
    : storeBatch(deps, prepared, origin);
}

async function storeTransaction(
  deps: IngestDeps,
  prepared: Prepared[],
  origin: ReplyOrigin,
): Promise<FhirIngestResult> {
  const refused = prepared.flatMap((p, i) => (p.ok ? [] : [{ i, result: p.result }]));
  const forbidden = refused.find((r) => r.result.status === 'rejected' && r.result.refusal === 'forbidden');
  if (forbidden) return asRefusal(forbidden.result);
  if (refused.length > 0) {
    const issues = refused.flatMap((r) =>
      r.result.status === 'rejected' ? inEntry(r.result.outcome, r.i) : [],
    );
    return { status: 'rejected', outcome: outcome(issues) };
  }
  const now = deps.clock();
  try {
    const results = await deps.store.transaction(async (tx) => {
      const out: ReplyResult[] = [];
      for (const p of prepared) if (p.ok) out.push(await storeReplyWithin(deps, tx, p.value, origin, now));
      return out;
    });
    return { status: 'processed', response: responseBundle('transaction-response', results) };
  } catch (err) {
    if (err instanceof ForbiddenReply) return asRefusal(forbiddenReply());
    throw err;
  }
}

// Batch entries are independent (R4 §3.1.0.11.1): one store transaction per reply.
async function storeBatch(
  deps: IngestDeps,
  prepared: Prepared[],
  origin: ReplyOrigin,
): Promise<FhirIngestResult> {
  const results: ReplyResult[] = [];
  for (const p of prepared) {
    await yieldToEventLoop();
    if (!p.ok) {
      results.push(p.result);
      continue;
    }
    try {
      const now = deps.clock();
      results.push(await deps.store.transaction((tx) => storeReplyWithin(deps, tx, p.value, origin, now)));
    } catch (err) {
      if (!(err instanceof ForbiddenReply)) throw err;
      results.push(forbiddenReply());
    }
  }
  return { status: 'processed', response: responseBundle('batch-response', results) };
}

function asRefusal(result: ReplyResult): FhirIngestResult {
  return { status: 'rejected', refusal: 'forbidden', outcome: result.outcome };
}

/** Issues of one entry's reply, pointed at that entry (`Communication.x` → `Bundle.entry[i].resource.x`). */
function inEntry(oo: OperationOutcome, i: number): OperationOutcomeIssue[] {
  return (oo.issue ?? []).map((is) => ({
    ...is,
    ...(is.expression
      ? {
          expression: is.expression.map((e) =>
            e.startsWith('Bundle.') ? e : `Bundle.entry[${i}].resource${e.replace(/^Communication/, '')}`,
          ),
        }
      : {}),
  }));
}

const STATUS_LINE = {
  created: '201 Created',
  unchanged: '200 OK',
  rejected: '422 Unprocessable Entity',
  forbidden: '403 Forbidden',
} as const;

function responseBundle(type: 'transaction-response' | 'batch-response', results: ReplyResult[]): Bundle {
  const entry = results.map((r, i): BundleEntry => {
    const status =
      r.status === 'rejected'
        ? STATUS_LINE[r.refusal === 'forbidden' ? 'forbidden' : 'rejected']
        : STATUS_LINE[r.status];
    const oo = r.status === 'rejected' ? outcome(inEntry(r.outcome, i)) : r.outcome;
    return { response: { status, outcome: oo } };
  });
  return { resourceType: 'Bundle', type, entry };
}
