/**
 * The practice's own records, exactly in the shapes of DESIGN.md §2 (a contract: field names are
 * stable; schemas in `profiles/schemas/` may add optional fields). These are what the practice
 * system posts and what `kap-bridge ingest` reads.
 */

/** One of the codes of the `kap-share` CodeSystem: what may be shared with a recipient. */
export type ShareCode = 'referral-status' | 'session-focus' | 'observations' | 'integration-suggestions';

/** Every share code, in the order payloads and provisions list them. */
export const SHARE_CODES: readonly ShareCode[] = [
  'referral-status',
  'session-focus',
  'observations',
  'integration-suggestions',
];

export interface HumanNameRecord {
  given?: string[];
  family?: string;
  prefix?: string[];
  suffix?: string[];
}

export interface IdentifierRecord {
  system: string;
  value: string;
}

export type Gender = 'female' | 'male' | 'other' | 'unknown';
export type ClinicianRole = 'psychiatrist' | 'psychotherapist' | 'physician' | 'nurse-practitioner' | 'other';
export type Priority = 'routine' | 'urgent' | 'asap' | 'stat';

export interface ReferralClient {
  mrn: string;
  name: HumanNameRecord;
  birthDate: string;
  gender: Gender;
  phone?: string;
  email?: string;
  /** The referrer's own patient id (their EHR's identifier), when known. */
  referrerPatientId?: IdentifierRecord;
}

export interface ReferringClinician {
  npi: string;
  name: HumanNameRecord;
  role: ClinicianRole;
  organization?: { name: string; npi?: string };
  /** Id of a registered destination (never a URL), when the clinician has one. */
  destination?: string;
  /** The referrer's own referral id (the placer identifier), when known. */
  referralId?: string;
  /** The identifier system of `referralId` in the referrer's EHR, when they name it. */
  referralIdSystem?: string;
}

export interface Referral {
  id: string;
  receivedAt: string;
  source: 'clinician' | 'self';
  client: ReferralClient;
  referringClinician: ReferringClinician;
  reason: { text: string; codes?: Array<{ system: string; code: string; display?: string }> };
  priority?: Priority;
  note?: string;
}

export interface Representative {
  name: HumanNameRecord;
  relationship: string;
  authority: string;
}

export interface ConsentRecord {
  id: string;
  referralId: string;
  clientMrn: string;
  recipientNpi: string;
  decision: 'permit' | 'deny';
  share: ShareCode[];
  validFrom: string;
  validUntil?: string;
  signedAt: string;
  signedBy: 'client' | 'representative';
  representative?: Representative;
  document?: { url: string; contentType: string };
}

/** A revocation as posted to `POST /consents/{id}/revoke` (the id comes from the path). */
export interface RevocationRequest {
  revokedAt: string;
  reason: string;
  receivedBy: string;
  method: 'written' | 'verbal';
}

/** A revocation as a file for `kap-bridge ingest revocation`. */
export interface RevocationRecord extends RevocationRequest {
  consentId: string;
}

export interface SessionObservations {
  emotional?: string;
  cognitive?: string;
  sensory?: string;
}

export interface IntegrationUpdate {
  id: string;
  referralId: string;
  sessionDate: string;
  sessionNumber: number;
  author: { npi: string; name: HumanNameRecord };
  focus?: string;
  observations?: SessionObservations;
  suggestions?: string[];
  writtenAt: string;
}

/**
 * What the practice did with a referral (DESIGN.md §6b), as the referrer hears it: each change
 * becomes a new version of the ServiceRequest's status and of a `Task` (BSeR closed loop).
 */
export type ReferralStatus =
  'accepted' | 'declined' | 'scheduled' | 'in-progress' | 'completed' | 'cancelled';

/** Every referral status, in the order a referral usually moves through them. */
export const REFERRAL_STATUSES: readonly ReferralStatus[] = [
  'accepted',
  'scheduled',
  'in-progress',
  'completed',
  'declined',
  'cancelled',
];

/** A status change as posted to `POST /referrals/{id}/status` (the id comes from the path). */
export interface ReferralStatusRequest {
  status: ReferralStatus;
  at: string;
  /** Why, in plain words: required for `declined`, allowed for `cancelled`. Never clinical content. */
  reason?: string;
}

/** A status change as a file for `kap-bridge ingest referral-status`. */
export interface ReferralStatusRecord extends ReferralStatusRequest {
  referralId: string;
}

export type RecordKind = 'referral' | 'consent' | 'revocation' | 'update' | 'referral-status';
