import type { Coding, Reference } from '@medplum/fhirtypes';

/**
 * A disclosure request (DESIGN.md §8, a stable contract): who would receive what about whom.
 * `action` / `purpose` may be a bare code (then the system is consentaction / v3-ActReason) or a
 * full Coding.
 */
export interface DisclosureRequest {
  /** The client whose data would leave the practice (`reference` or `identifier`). */
  patient: Reference;
  /** The recipient (`reference` or `identifier`, e.g. an NPI). */
  actor: Reference;
  /** The recipient's role; default v3-ParticipationType `IRCP` (information recipient). */
  actorRole?: Coding;
  /** consentaction code, e.g. `disclose`. */
  action?: string | Coding;
  /** v3-ActReason code, e.g. `TREAT`. */
  purpose?: string | Coding;
  /** FHIR resource type name of what would be sent, e.g. `Communication`. */
  class?: string;
  /** The share codes (sections) asked for; the decision splits them into permitted / denied. */
  codes?: Coding[];
  /** Security labels carried by the data (e.g. v3-ActCode `PSY`). */
  securityLabels?: Coding[];
  /** The data's own date (FHIR date or dateTime), matched against `provision.dataPeriod`. */
  dataDate?: string;
  /** Time of disclosure (FHIR instant); when absent, the `now` given to the engine. */
  at?: string;
}

export type DecisionKind = 'permit' | 'deny' | 'no-consent';

/** The decision (DESIGN.md §8, a stable contract). */
export interface Decision {
  decision: DecisionKind;
  /** The governing Consent as `Consent/{id}/_history/{version}`, or null when none applies. */
  consent: string | null;
  /** The requested codes that may be disclosed. */
  permitted: Coding[];
  /** The requested codes that may not. */
  denied: Coding[];
  /** Why, in lines a person can read. */
  explanation: string[];
}

/** Options of the engine; everything that would otherwise be ambient (zone) is passed in. */
export interface DecideOptions {
  /** IANA zone that date-only values are read in. Default `America/Los_Angeles`. */
  timeZone?: string;
}

/** The practice's zone when none is configured (DESIGN.md §5). */
export const DEFAULT_TIME_ZONE = 'America/Los_Angeles';
