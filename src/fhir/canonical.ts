/**
 * Canonical URLs and identifier systems used across kap-bridge. One place, so the mapping, the
 * profiles (FSH in `profiles/`), the consent engine and the validator agree on every URL.
 */

/** Canonical base of the profiles package (a reserved domain until a real one exists). */
export const CANONICAL_BASE = 'https://kap-bridge.example/fhir';

export const PROFILE = {
  referral: `${CANONICAL_BASE}/StructureDefinition/kap-referral`,
  consent: `${CANONICAL_BASE}/StructureDefinition/kap-consent`,
  integrationUpdate: `${CANONICAL_BASE}/StructureDefinition/kap-integration-update`,
  referralTask: `${CANONICAL_BASE}/StructureDefinition/kap-referral-task`,
} as const;

export const EXTENSION = {
  /** On a Communication.payload: the kap-share code this section belongs to (for redaction). */
  shareCode: `${CANONICAL_BASE}/StructureDefinition/kap-share-code`,
  /** On a representative's RelatedPerson or the Consent: the authority under which they sign. */
  representativeAuthority: `${CANONICAL_BASE}/StructureDefinition/kap-representative-authority`,
  /**
   * On a revoked Consent (R4 Consent has no `note`): complex extension with `revokedAt`
   * (dateTime), `reason` (string), `receivedBy` (string), `method` (code written | verbal).
   */
  revocation: `${CANONICAL_BASE}/StructureDefinition/kap-revocation`,
} as const;

export const CODE_SYSTEM = {
  share: `${CANONICAL_BASE}/CodeSystem/kap-share`,
  snomed: 'http://snomed.info/sct',
  loinc: 'http://loinc.org',
  icd10cm: 'http://hl7.org/fhir/sid/icd-10-cm',
  v2IdentifierType: 'http://terminology.hl7.org/CodeSystem/v2-0203',
  v3ParticipationType: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType',
  v3ActReason: 'http://terminology.hl7.org/CodeSystem/v3-ActReason',
  v3ActCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  v3Confidentiality: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality',
  consentScope: 'http://terminology.hl7.org/CodeSystem/consentscope',
  consentAction: 'http://terminology.hl7.org/CodeSystem/consentaction',
  v3RoleCode: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode',
  communicationCategory: 'http://terminology.hl7.org/CodeSystem/communication-category',
  /** HL7 v2 table 0003 event types: `I12` "Patient referral" (inbound referral messages). */
  v2EventType: 'http://terminology.hl7.org/CodeSystem/v2-0003',
  /** HL7 BSeR message events: `bser-referral-request`. */
  bserMessageEvent: 'http://hl7.org/fhir/us/bser/CodeSystem/bser-messageevent',
  flagCategory: 'http://terminology.hl7.org/CodeSystem/flag-category',
  /** R4 task-code: `fulfill` "Fulfill the focal request" (the BSeR referral Task). */
  taskCode: 'http://hl7.org/fhir/CodeSystem/task-code',
} as const;

/** Identifier systems. The practice's own are under the canonical base; NPI is the US one. */
export const IDENTIFIER_SYSTEM = {
  npi: 'http://hl7.org/fhir/sid/us-npi',
  mrn: `${CANONICAL_BASE}/sid/mrn`,
  referral: `${CANONICAL_BASE}/sid/referral`,
  consent: `${CANONICAL_BASE}/sid/consent`,
  integrationUpdate: `${CANONICAL_BASE}/sid/integration-update`,
  /** The referral's status Task (one per referral; value = the practice's referral id). */
  referralTask: `${CANONICAL_BASE}/sid/referral-task`,
  /** Placer ids of referrers that did not name their own system. */
  referrerReferral: `${CANONICAL_BASE}/sid/referrer-referral`,
  /** Organizations without an NPI (the practice itself by default, referrer organizations). */
  organization: `${CANONICAL_BASE}/sid/organization`,
  /** A referring clinician in a role (NPI + role), for PractitionerRole. */
  practitionerRole: `${CANONICAL_BASE}/sid/practitioner-role`,
  /** A client's representative (MRN + name), for RelatedPerson. */
  relatedPerson: `${CANONICAL_BASE}/sid/related-person`,
  /** A possible-duplicate-client Flag (new MRN + the existing MRN), for a person to resolve. */
  possibleDuplicate: `${CANONICAL_BASE}/sid/possible-duplicate`,
  /** A Flag on a client whose inbound referral carried other demographics (MRN + referral + hash). */
  demographicsReview: `${CANONICAL_BASE}/sid/demographics-review`,
} as const;

/** The practice's information-sharing policy (Consent.policy.uri, satisfies R4 invariant ppc-1). */
export const SHARING_POLICY_URI = `${CANONICAL_BASE}/policy/information-sharing`;
