import type { Coding, Reference } from '@medplum/fhirtypes';
import { CODE_SYSTEM } from '../fhir/canonical';
import { toCoding } from './match';
import { fhirDateInterval, type Interval } from './time-zone';
import type { DisclosureRequest } from './types';

/** The request, normalised once per decision so provision matching does no parsing. */
export interface RequestContext {
  patient: Reference;
  actor: Reference;
  role: Coding;
  action?: Coding;
  purpose?: Coding;
  resourceType?: string;
  securityLabels: Coding[];
  /** The data's date as an interval; undefined when the request gives none. */
  data?: Interval;
  /** The data's date as the request gave it, for explanations. */
  dataText?: string;
  /** The time of disclosure. */
  at: Interval;
  /** The time of disclosure as given (`request.at`), else `now` in ISO form, for explanations. */
  atText: string;
  zone: string;
}

/** Default recipient role of DESIGN.md §8: v3-ParticipationType IRCP (information recipient). */
export const DEFAULT_ACTOR_ROLE: Coding = { system: CODE_SYSTEM.v3ParticipationType, code: 'IRCP' };

/** Builds the context; the time of disclosure is `request.at`, else `now`. */
export function buildContext(request: DisclosureRequest, now: Date, zone: string): RequestContext {
  const given = request.at !== undefined ? fhirDateInterval(request.at, zone) : undefined;
  const at = given ?? { lo: now.getTime(), hi: now.getTime() + 1 };
  return {
    patient: request.patient,
    actor: request.actor,
    role: request.actorRole ?? DEFAULT_ACTOR_ROLE,
    action: toCoding(request.action, CODE_SYSTEM.consentAction),
    purpose: toCoding(request.purpose, CODE_SYSTEM.v3ActReason),
    resourceType: request.class,
    securityLabels: request.securityLabels ?? [],
    data: request.dataDate !== undefined ? fhirDateInterval(request.dataDate, zone) : undefined,
    dataText: request.dataDate,
    at: { lo: at.lo, hi: at.lo + 1 },
    atText: given && request.at !== undefined ? request.at : now.toISOString(),
    zone,
  };
}
