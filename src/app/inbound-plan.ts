import type { Bundle, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue } from '../fhir/outcomes';
import { readInboundReferral, referralEntryIndexes, type InboundReferral } from '../mapping/reverse-referral';
import type { ResourceValidator } from './ingest-types';
import { validateInSlices } from './validate-in-slices';

/**
 * Planning an inbound Bundle before anything is stored: validate it (base R4 and any profile it
 * claims), read each referral (a ServiceRequest with the entries it references) and attach every
 * error to the referral whose entries it concerns. Entries no referral uses are refused: the
 * adapter takes referrals, not arbitrary resources.
 */

/** One referral of the Bundle: read, or refused with its issues. */
export interface InboundUnit {
  /** Index of the ServiceRequest entry. */
  index: number;
  /** Every entry index this referral uses (the ServiceRequest first). */
  entries: number[];
  inbound?: InboundReferral;
  issues: OperationOutcomeIssue[];
}

export interface InboundPlan {
  /** Problems of the Bundle itself (not of one entry): nothing can be processed. */
  bundleIssues: OperationOutcomeIssue[];
  units: InboundUnit[];
  /** Entries used by no referral, with why they are refused (transaction / batch only). */
  orphans: Map<number, OperationOutcomeIssue[]>;
}

const ENTRY = /^Bundle\.entry\[(\d+)\]/;

/** Validator errors grouped by entry index (-1: the Bundle itself). Warnings are not passed on. */
async function validationErrors(
  validator: ResourceValidator,
  bundle: Bundle,
): Promise<Map<number, OperationOutcomeIssue[]>> {
  const byEntry = new Map<number, OperationOutcomeIssue[]>();
  for (const i of await validateInSlices(validator, bundle)) {
    if (i.severity !== 'error' && i.severity !== 'fatal') continue;
    const at = ENTRY.exec(i.expression?.[0] ?? '');
    const key = at ? Number(at[1]) : -1;
    byEntry.set(key, [...(byEntry.get(key) ?? []), i]);
  }
  return byEntry;
}

// Transaction and batch entries ask to create (POST) or create-or-update (PUT) the referral;
// reading, deleting and patching are not offered (http://hl7.org/fhir/R4/bundle.html#transaction).
function requestIssues(bundle: Bundle, index: number): OperationOutcomeIssue[] {
  const method = bundle.entry?.[index]?.request?.method;
  if (method === 'POST' || method === 'PUT') return [];
  const expression = `Bundle.entry[${index}].request${method ? '.method' : ''}`;
  const text = method
    ? `request.method ${method} is not supported here: send referrals with POST (or PUT).`
    : 'A transaction or batch entry needs a request (method POST).';
  return [issue({ code: method ? 'not-supported' : 'required', expression, text })];
}

/**
 * Plans `bundle`. `referrals` are the ServiceRequest entry indexes to process (a message's
 * focus); by default every ServiceRequest entry. With `checkRequests`, entries need a POST/PUT
 * request and unused entries are orphans.
 */
export async function planInbound(
  validator: ResourceValidator,
  bundle: Bundle,
  opts: { referrals?: number[]; checkRequests: boolean },
): Promise<InboundPlan> {
  const entries = bundle.entry ?? [];
  const errors = await validationErrors(validator, bundle);
  const srIndexes =
    opts.referrals ?? entries.flatMap((e, i) => (e.resource?.resourceType === 'ServiceRequest' ? [i] : []));
  const own = (i: number): OperationOutcomeIssue[] => [
    ...(errors.get(i) ?? []),
    ...(opts.checkRequests ? requestIssues(bundle, i) : []),
  ];
  const used = new Set<number>();
  const units = srIndexes.map((index): InboundUnit => {
    const read = readInboundReferral(bundle, index);
    const parts = referralEntryIndexes(bundle, index);
    parts.forEach((i) => used.add(i));
    const issues = [...parts.flatMap(own), ...(read.ok ? [] : read.outcome.issue)];
    return { index, entries: parts, ...(read.ok ? { inbound: read.value } : {}), issues };
  });
  const orphans = new Map<number, OperationOutcomeIssue[]>();
  if (opts.checkRequests) {
    entries.forEach((e, i) => {
      if (used.has(i)) return;
      const text = `kap-bridge takes referrals: a ${e.resource?.resourceType ?? 'entry'} is accepted only as the subject or requester of a ServiceRequest in the same Bundle.`;
      orphans.set(i, [...own(i), issue({ code: 'not-supported', expression: `Bundle.entry[${i}]`, text })]);
    });
  }
  return { bundleIssues: errors.get(-1) ?? [], units, orphans };
}
