import type { Bundle, BundleEntry, OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue, outcome } from '../fhir/outcomes';
import { resourceId } from '../mapping';
import type { InboundReferral } from '../mapping/reverse-referral';
import { refuseOverCap } from './batch-limits';
import { ingestReplyBundle, isReplyBundle } from './ingest-reply-bundle';
import { yieldToEventLoop } from './yield-to-event-loop';
import { checkInbound, planInbound, type InboundPlan, type InboundUnit } from './inbound-plan';
import {
  Refusal,
  responseEntry,
  storeInboundReferral,
  type FhirIngestResult,
  type InboundResult,
} from './inbound-referral';
import type { IngestContext, IngestDeps } from './ingest-types';
import type { StoreOps } from './ports/store-port';
import { refuseUnboundSenders } from './sender-binding';

/**
 * `POST /fhir` from health systems (DESIGN.md §8; http://hl7.org/fhir/R4/http.html#transaction):
 * a `transaction` is all-or-nothing — every referral in one store transaction, any refusal → one
 * OperationOutcome and nothing stored; a `batch` processes each referral on its own and answers
 * a status and an outcome per entry. Each referral is a ServiceRequest whose Patient and
 * requester sit in the same Bundle; it is stored as a practice referral, as `POST /referrals`.
 */
export async function ingestFhirBundle(
  deps: IngestDeps,
  bundle: Bundle,
  ctx: IngestContext = {},
): Promise<FhirIngestResult> {
  const overCap = refuseOverCap(deps, bundle);
  if (overCap) return overCap;
  if (bundle.type !== 'transaction' && bundle.type !== 'batch') {
    return rejectedWith([
      issue({
        code: 'value',
        expression: 'Bundle.type',
        text: 'Bundle.type must be transaction or batch here.',
      }),
    ]);
  }
  // A Bundle of replies from a referring clinician (DESIGN.md §6b), not referrals.
  if (isReplyBundle(bundle)) return ingestReplyBundle(deps, bundle, ctx);
  const plan = planInbound(bundle, await checkInbound(deps.validator, bundle), { checkRequests: true });
  const forbidden = refuseUnboundSenders(bundle, plan, ctx.senders);
  if (forbidden) return forbidden;
  if (plan.bundleIssues.length > 0) return rejectedWith(plan.bundleIssues);
  if (plan.units.length === 0) {
    const text =
      'The Bundle holds no ServiceRequest: kap-bridge takes referrals (a ServiceRequest with its Patient and requester).';
    return rejectedWith([issue({ code: 'required', expression: 'Bundle.entry', text })]);
  }
  if (bundle.type === 'batch') return runBatch(deps, bundle, plan, ctx.actor);
  const stored = await storeAllOrNothing(deps, plan, ctx.actor);
  if (!stored.ok) return { status: 'rejected', outcome: stored.outcome };
  return {
    status: 'processed',
    response: responseBundle('transaction-response', bundle, plan, stored.results),
  };
}

function rejectedWith(issues: OperationOutcomeIssue[]): FhirIngestResult {
  return { status: 'rejected', outcome: outcome(issues) };
}

/**
 * Stores every referral of `plan` in one store transaction; the first refusal rolls all back.
 * Also used by `$process-message` (a message is processed as a whole).
 */
export async function storeAllOrNothing(
  deps: IngestDeps,
  plan: InboundPlan,
  actor?: string,
): Promise<{ ok: true; results: Map<number, InboundResult> } | { ok: false; outcome: OperationOutcome }> {
  const issues = [...plan.units.flatMap((u) => u.issues), ...[...plan.orphans.values()].flat()];
  if (issues.length > 0) return { ok: false, outcome: outcome(issues) };
  try {
    const now = deps.clock();
    const results = await deps.store.transaction(async (tx) => {
      const out = new Map<number, InboundResult>();
      for (const unit of plan.units) {
        await yieldToEventLoop();
        const r = await storeInboundReferral(deps, tx, inboundOf(unit), now, actor);
        if (r.result.status === 'rejected') throw new Refusal(r.result.outcome);
        out.set(unit.index, r);
      }
      return out;
    });
    return { ok: true, results };
  } catch (err) {
    if (err instanceof Refusal) return { ok: false, outcome: err.outcome };
    throw err;
  }
}

function inboundOf(unit: InboundUnit): InboundReferral {
  if (!unit.inbound) throw new Error(`referral at entry ${unit.index} has no issues but was not read`);
  return unit.inbound;
}

// Batch entries are independent (R4 §3.1.0.11.1): one store transaction per referral, made
// durable together before the answer (one fsync for the batch, not one per entry: issue 12), and
// asked of the store a window at a time (`Store.transactionEach`), so that it may commit a window's
// entries together; other callers' work gets its turn between windows.
function runBatch(
  deps: IngestDeps,
  bundle: Bundle,
  plan: InboundPlan,
  actor?: string,
): Promise<FhirIngestResult> {
  const run = (): Promise<FhirIngestResult> => runBatchEntries(deps, bundle, plan, actor);
  return deps.store.durableTogether ? deps.store.durableTogether(run) : run();
}

/** Batch entries asked of the store at once (SQLite commits up to 16 queued units together). */
const BATCH_WINDOW = 16;

async function runBatchEntries(
  deps: IngestDeps,
  bundle: Bundle,
  plan: InboundPlan,
  actor?: string,
): Promise<FhirIngestResult> {
  const results = new Map<number, InboundResult>();
  const refused = (o: OperationOutcome): InboundResult => ({
    result: { status: 'rejected', outcome: o, outbox: [], changed: [] },
  });
  for (let start = 0; start < plan.units.length; start += BATCH_WINDOW) {
    await yieldToEventLoop();
    const window = plan.units.slice(start, start + BATCH_WINDOW);
    const stored = window.filter((unit) => unit.issues.length === 0);
    for (const unit of window)
      if (unit.issues.length > 0) results.set(unit.index, refused(outcome(unit.issues)));
    const now = deps.clock();
    const outcomes = await deps.store.transactionEach(
      stored.map((unit) => async (tx: StoreOps) => {
        const one = await storeInboundReferral(deps, tx, inboundOf(unit), now, actor);
        if (one.result.status === 'rejected') throw new Refusal(one.result.outcome);
        return one;
      }),
    );
    outcomes.forEach((o, i) => {
      const unit = stored[i];
      if (!unit) return;
      if (o.status === 'fulfilled') results.set(unit.index, o.value);
      else if (o.reason instanceof Refusal) results.set(unit.index, refused(o.reason.outcome));
      else throw o.reason;
    });
  }
  return { status: 'processed', response: responseBundle('batch-response', bundle, plan, results) };
}

/** One response entry per request entry, in order (R4 Bundle.entry.response). */
function responseBundle(
  type: 'transaction-response' | 'batch-response',
  bundle: Bundle,
  plan: InboundPlan,
  results: Map<number, InboundResult>,
): Bundle {
  const entry = (bundle.entry ?? []).map((_, i): BundleEntry => {
    const own = results.get(i);
    if (own) return responseEntry(own);
    const unit = plan.units.find((u) => u.entries.includes(i));
    const orphan = plan.orphans.get(i);
    if (unit && results.get(unit.index)) return supportingEntry(bundle, i, unit, results.get(unit.index));
    return { response: { status: '422 Unprocessable Entity', outcome: outcome(orphan ?? []) } };
  });
  return { resourceType: 'Bundle', type, entry };
}

/** A Patient / Practitioner / role / organisation entry: answered with its referral's fate. */
function supportingEntry(
  bundle: Bundle,
  i: number,
  unit: InboundUnit,
  r: InboundResult | undefined,
): BundleEntry {
  if (!r || r.result.status === 'rejected' || !unit.inbound || !r.match) {
    const text = `Part of the referral at Bundle.entry[${unit.index}], which was refused.`;
    return {
      response: {
        status: '422 Unprocessable Entity',
        outcome: outcome([issue({ code: 'processing', text })]),
      },
    };
  }
  const location = counterpart(bundle.entry?.[i]?.resource?.resourceType, unit.inbound);
  const text = `Read as part of the referral at Bundle.entry[${unit.index}]${location ? `; stored as ${location}` : ''}.`;
  return {
    response: {
      status: '200 OK',
      ...(location ? { location } : {}),
      outcome: outcome([issue({ severity: 'information', code: 'informational', text })]),
    },
  };
}

/** Where the practice keeps its own version of a supporting resource (the mapping's ids). */
function counterpart(type: string | undefined, inbound: InboundReferral): string | undefined {
  const c = inbound.draft.referringClinician;
  switch (type) {
    // No location for the Patient: its id carries the practice MRN, which the sender may not know.
    case 'Practitioner':
      return `Practitioner/${resourceId.practitioner(c.npi)}`;
    case 'PractitionerRole':
      return `PractitionerRole/${resourceId.practitionerRole(c.npi, c.role)}`;
    case 'Organization':
      if (!c.organization) return undefined;
      return `Organization/${c.organization.npi ? resourceId.organizationByNpi(c.organization.npi) : resourceId.organizationByName(c.organization.name)}`;
    default:
      return undefined;
  }
}
