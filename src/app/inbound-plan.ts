import type { Bundle, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue } from '../fhir/outcomes';
import { readInboundReferral, referralEntryIndexes, type InboundReferral } from '../mapping/reverse-referral';
import type { ResourceValidator } from './ports/validator-port';
import { validateInSlices } from './validate-in-slices';

/**
 * Planning an inbound Bundle before anything is stored: validate it (base R4 and any profile it
 * claims), read each referral (a ServiceRequest with the entries it references) and attach every
 * error to the referral whose entries it concerns. Entries no referral uses are refused: the
 * adapter takes referrals, not arbitrary resources. The reverse mapping reads only what the
 * validator passed: a Bundle with errors of its own is not planned at all, and a referral whose
 * entries have errors is refused with them, unread (issue 10: mapping wrongly typed parts the
 * validator had already flagged threw, a 500 for the sender's mistake).
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

/** Validator errors by entry index (-1: the Bundle itself), from `checkInbound`. */
export type InboundErrors = ReadonlyMap<number, OperationOutcomeIssue[]>;

/**
 * Validates `bundle` (in slices, so a large Bundle does not hold the event loop); errors grouped
 * by entry index (-1: the Bundle itself). Warnings are not passed on.
 */
export async function checkInbound(
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
export function planInbound(
  bundle: Bundle,
  errors: InboundErrors,
  opts: { referrals?: number[]; checkRequests: boolean },
): InboundPlan {
  const bundleIssues = [...(errors.get(-1) ?? []), ...entryListIssues(bundle)];
  // Bundle.entry itself is at fault (not an array, …): there are no entries to read.
  if (bundleIssues.length > 0) return { bundleIssues, units: [], orphans: new Map() };
  const entries = bundle.entry ?? [];
  const srIndexes =
    opts.referrals ?? entries.flatMap((e, i) => (e?.resource?.resourceType === 'ServiceRequest' ? [i] : []));
  const own = (i: number): OperationOutcomeIssue[] => [
    ...(errors.get(i) ?? []),
    ...(opts.checkRequests ? requestIssues(bundle, i) : []),
  ];
  const used = new Set<number>();
  const units = srIndexes.map((index): InboundUnit => {
    // Following references reads only `reference` strings, whatever the entries hold.
    const parts = referralEntryIndexes(bundle, index);
    parts.forEach((i) => used.add(i));
    const issues = parts.flatMap(own);
    if (parts.some((i) => errors.has(i))) return { index, entries: parts, issues };
    const read = readInboundReferral(bundle, index);
    if (!read.ok) return { index, entries: parts, issues: [...issues, ...read.outcome.issue] };
    return { index, entries: parts, inbound: read.value, issues };
  });
  const orphans = new Map<number, OperationOutcomeIssue[]>();
  if (opts.checkRequests) {
    entries.forEach((e, i) => {
      if (used.has(i)) return;
      const text = `kap-bridge takes referrals: a ${e?.resource?.resourceType ?? 'entry'} is accepted only as the subject or requester of a ServiceRequest in the same Bundle.`;
      orphans.set(i, [...own(i), issue({ code: 'not-supported', expression: `Bundle.entry[${i}]`, text })]);
    });
  }
  return { bundleIssues, units, orphans };
}

// The validator reports an `entry` that is an object rather than a list under the entry itself,
// not the Bundle; without a list there is nothing to plan (Bundle.entry is 0..*).
function entryListIssues(bundle: Bundle): OperationOutcomeIssue[] {
  if (bundle.entry === undefined || Array.isArray(bundle.entry)) return [];
  return [
    issue({ code: 'structure', expression: 'Bundle.entry', text: 'Bundle.entry must be a JSON array.' }),
  ];
}
