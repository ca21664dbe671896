import type { Consent } from '@medplum/fhirtypes';
import { CODE_SYSTEM } from '../fhir/canonical';
import { failsApplicability } from './conditions';
import type { RequestContext } from './context';
import { ignoredLine, notApplyingLine, type Trace } from './explain';
import { conceptsInclude, sameParty } from './match';
import { fhirDateInterval } from './time-zone';

/** A consent that may govern, with what is needed to cite and order it. */
export interface Candidate {
  consent: Consent;
  /** `Consent/{id}/_history/{v}` (or `Consent/{id}` when it has no version). */
  reference: string;
  /** `Consent/{id} v{v}` for explanations. */
  cite: string;
  index: number;
}

const PRIVACY_SCOPE = { system: CODE_SYSTEM.consentScope, code: 'patient-privacy' };
/** R4 consent-state-codes that still say something about disclosure (DESIGN.md §5). */
const COUNTED_STATUS = new Set(['active', 'inactive']);

/**
 * The patient's consents that may govern: of this patient, latest version of each id, scope
 * `patient-privacy`, status `active` or `inactive`. Reasons for leaving one out go to `explain`.
 */
export function selectCandidates(
  consents: Consent[],
  ctx: RequestContext,
  trace: Trace | undefined,
): Candidate[] {
  const latest = new Map<string, { consent: Consent; index: number; versions: number }>();
  let otherPatients = 0;
  consents.forEach((consent, index) => {
    if (!consent || consent.resourceType !== 'Consent') return;
    if (!sameParty(consent.patient, ctx.patient)) {
      otherPatients++;
      return;
    }
    const key = consent.id ?? `#${index}`;
    const seen = latest.get(key);
    const versions = (seen?.versions ?? 0) + 1;
    if (!seen || isLaterVersion(consent, seen.consent, ctx.zone))
      latest.set(key, { consent, index, versions });
    else seen.versions = versions;
  });
  if (otherPatients === 1) trace?.lines.push('1 consent of another patient was not considered.');
  if (otherPatients > 1)
    trace?.lines.push(`${otherPatients} consents of other patients were not considered.`);
  const out: Candidate[] = [];
  for (const [key, { consent, index, versions }] of latest) {
    const version = consent.meta?.versionId;
    const id = consent.id ?? `(no id, entry ${key.slice(1)})`;
    const c: Candidate = {
      consent,
      index,
      reference: version ? `Consent/${id}/_history/${version}` : `Consent/${id}`,
      cite: version ? `Consent/${id} v${version}` : `Consent/${id}`,
    };
    // Only the latest version of a consent counts (DESIGN.md §5): say so when it hides older ones.
    const latestOnly = versions > 1 ? ' (only the latest version of a consent counts)' : '';
    if (!conceptsInclude(consent.scope ? [consent.scope] : [], PRIVACY_SCOPE)) {
      trace?.lines.push(ignoredLine(c.cite, `its scope is not patient-privacy${latestOnly}`));
    } else if (!COUNTED_STATUS.has(consent.status)) {
      trace?.lines.push(ignoredLine(c.cite, `its status is ${consent.status}${latestOnly}`));
    } else {
      out.push(c);
    }
  }
  return out;
}

/** Version order: numeric `meta.versionId`, then `meta.lastUpdated`, then position in the input. */
function isLaterVersion(a: Consent, b: Consent, zone: string): boolean {
  const va = Number(a.meta?.versionId);
  const vb = Number(b.meta?.versionId);
  if (a.meta?.versionId && b.meta?.versionId && Number.isFinite(va) && Number.isFinite(vb) && va !== vb) {
    return va > vb;
  }
  const ua = instantOf(a.meta?.lastUpdated, zone);
  const ub = instantOf(b.meta?.lastUpdated, zone);
  return ua !== ub ? ua > ub : true;
}

function instantOf(value: string | undefined, zone: string): number {
  if (value === undefined) return -Infinity;
  return fhirDateInterval(value, zone)?.lo ?? -Infinity;
}

/**
 * The candidates whose root provision's own conditions (period, actor, purpose, action, class)
 * match the request, newest first: by `dateTime`, then `meta.lastUpdated`, then input order. The
 * first one governs.
 */
export function findApplicable(
  candidates: Candidate[],
  ctx: RequestContext,
  trace: Trace | undefined,
): Candidate[] {
  const applicable: Candidate[] = [];
  for (const c of candidates) {
    const root = c.consent.provision;
    const failed = root ? failsApplicability(root, ctx) : undefined;
    if (root && failed) {
      if (trace) trace.lines.push(notApplyingLine(trace, c.cite, root, failed, ctx));
      continue;
    }
    applicable.push(c);
  }
  return applicable.sort((a, b) => (isNewer(a, b, ctx.zone) ? -1 : 1));
}

function isNewer(a: Candidate, b: Candidate, zone: string): boolean {
  const da = instantOf(a.consent.dateTime, zone);
  const db = instantOf(b.consent.dateTime, zone);
  if (da !== db) return da > db;
  const ua = instantOf(a.consent.meta?.lastUpdated, zone);
  const ub = instantOf(b.consent.meta?.lastUpdated, zone);
  if (ua !== ub) return ua > ub;
  return a.index > b.index;
}
