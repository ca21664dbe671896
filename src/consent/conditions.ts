import type { ConsentProvision, Period } from '@medplum/fhirtypes';
import { PROFILE } from '../fhir/canonical';
import { ownProperty } from '../fhir/own-property';
import type { RequestContext } from './context';
import { codingsIntersect, conceptsInclude, roleCovers, sameParty } from './match';
import { fhirDateInterval, type Interval } from './time-zone';

/**
 * The conditions of one Consent provision (R4 §Consent.provision), each returning the reason it
 * fails, or undefined when it holds. An absent condition holds. A condition the request cannot
 * answer (no `dataDate` for a `dataPeriod`, no purpose for a `purpose`, no resource identity for
 * `data`) does not hold: the engine never assumes facts the caller did not state.
 */
export type ProvisionType = 'permit' | 'deny';

/** The provision element a request failed on (R4 Consent.provision element names). */
export type Condition =
  'period' | 'actor' | 'purpose' | 'action' | 'class' | 'code' | 'securityLabel' | 'dataPeriod' | 'data';

/** The resource types our own profiles constrain, so a provision class naming one matches. */
const PROFILE_TYPES: Record<string, string> = {
  [PROFILE.referral]: 'ServiceRequest',
  [PROFILE.consent]: 'Consent',
  [PROFILE.integrationUpdate]: 'Communication',
  [PROFILE.referralTask]: 'Task',
};

/** Conditions on who, why, how and what kind: those that decide whether a consent applies. */
export function failsApplicability(p: ConsentProvision, ctx: RequestContext): Condition | undefined {
  if (p.period && !periodCovers(p.period, ctx.at, ctx.zone, 'permit')) return 'period';
  if (p.actor?.length) {
    const ok = p.actor.some((a) => sameParty(a.reference, ctx.actor) && roleCovers(a.role, ctx.role));
    if (!ok) return 'actor';
  }
  if (p.purpose?.length && !(ctx.purpose && codingsIntersect(p.purpose, [ctx.purpose]))) return 'purpose';
  if (p.action?.length && !(ctx.action && conceptsInclude(p.action, ctx.action))) return 'action';
  if (p.class?.length && !classMatches(p, ctx.resourceType)) return 'class';
  return undefined;
}

/**
 * Conditions on the data itself (security labels, the data's date, specific resources). Whether
 * a date "cuts through" a day is read the cautious way: a deny provision matches data that may
 * fall in its window, a permit provision only data that surely does.
 */
export function failsData(
  p: ConsentProvision,
  ctx: RequestContext,
  type: ProvisionType,
): Condition | undefined {
  if (p.securityLabel?.length && !codingsIntersect(p.securityLabel, ctx.securityLabels))
    return 'securityLabel';
  if (p.dataPeriod && !(ctx.data && periodCovers(p.dataPeriod, ctx.data, ctx.zone, type)))
    return 'dataPeriod';
  if (p.data?.length) return 'data';
  return undefined;
}

/** Every request-level condition of a nested provision. */
export function failsRequest(
  p: ConsentProvision,
  ctx: RequestContext,
  type: ProvisionType,
): Condition | undefined {
  return failsApplicability(p, ctx) ?? failsData(p, ctx, type);
}

function classMatches(p: ConsentProvision, resourceType: string | undefined): boolean {
  if (!resourceType) return false;
  // ConsentContentClass: a resource type (system http://hl7.org/fhir/resource-types) or a
  // profile canonical; a MIME type (urn:ietf:bcp:13) never names a FHIR resource type.
  return (p.class ?? []).some((c) => {
    const code = c.code ?? '';
    if (c.system === 'urn:ietf:bcp:13') return false;
    if (code === resourceType) return true;
    const viaProfile = ownProperty(PROFILE_TYPES, code);
    if (viaProfile) return viaProfile === resourceType;
    return code.endsWith(`/StructureDefinition/${resourceType}`);
  });
}

/**
 * Does the Period cover the interval? `permit` reading: the interval lies inside the period;
 * `deny` reading: it overlaps it. For an instant (the time of disclosure) both are the same.
 */
export function periodCovers(period: Period, target: Interval, zone: string, type: ProvisionType): boolean {
  const start = period.start !== undefined ? fhirDateInterval(period.start, zone) : undefined;
  const end = period.end !== undefined ? fhirDateInterval(period.end, zone) : undefined;
  // An unreadable bound cannot be honoured: read it the cautious way (a deny matches).
  if ((period.start !== undefined && !start) || (period.end !== undefined && !end)) return type === 'deny';
  const lo = start?.lo ?? -Infinity;
  const hi = end?.hi ?? Infinity;
  if (type === 'deny') return target.lo < hi && lo < target.hi;
  return lo <= target.lo && target.hi <= hi;
}
