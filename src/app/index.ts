import type { Bundle } from '@medplum/fhirtypes';
import type { FhirIngestResult } from './inbound-referral';
import { ingestFhirBundle } from './ingest-fhir-bundle';
import type { IngestContext, IngestDeps, IngestResult } from './ingest-types';
import { ingestConsent } from './ingest-consent';
import { ingestReferral } from './ingest-referral';
import { ingestReferralStatus, recordReferralStatus } from './ingest-referral-status';
import { ingestRevocation, revokeConsent } from './ingest-revocation';
import { ingestUpdate } from './ingest-update';
import { processMessage } from './process-message';
import { rememberValidation } from './remembered-validation';

export type { IngestContext, IngestDeps, IngestResult, IngestStatus } from './ingest-types';
export type { ResourceValidator } from './ports/validator-port';
export { ingestConsent, ingestReferral, ingestRevocation, ingestUpdate, revokeConsent };
export { ingestReferralStatus, recordReferralStatus };
export { ingestFhirBundle, processMessage };
export type { FhirIngestResult } from './inbound-referral';
export { listPossibleDuplicates, type PossibleDuplicate } from './match-client';

/** The ingest use cases bound to their dependencies (what the CLI and HTTP call). */
export interface IngestUseCases {
  referral(input: unknown, ctx?: IngestContext): Promise<IngestResult>;
  consent(input: unknown, ctx?: IngestContext): Promise<IngestResult>;
  /** A revocation file: the request fields plus `consentId`. */
  revocation(input: unknown, ctx?: IngestContext): Promise<IngestResult>;
  /** `POST /consents/{id}/revoke`: the id from the path, the body without `consentId`. */
  revoke(consentId: string, body: unknown, ctx?: IngestContext): Promise<IngestResult>;
  update(input: unknown, ctx?: IngestContext): Promise<IngestResult>;
  /** A referral status file: the request fields plus `referralId` (DESIGN.md §6b). */
  referralStatus(input: unknown, ctx?: IngestContext): Promise<IngestResult>;
  /** `POST /referrals/{id}/status`: the id from the path, the body without `referralId`. */
  status(referralId: string, body: unknown, ctx?: IngestContext): Promise<IngestResult>;
  /** `POST /fhir`: a `transaction` (all-or-nothing) or `batch` Bundle of inbound referrals. */
  fhirBundle(bundle: Bundle, ctx?: IngestContext): Promise<FhirIngestResult>;
  /** `POST /fhir/$process-message`: a referral message Bundle, answered with a response message. */
  message(bundle: Bundle, ctx?: IngestContext): Promise<FhirIngestResult>;
}

/**
 * The resources a record maps besides its own (the client, the clinician, their role and
 * organisations, a consent's representative): mostly the same as the record before's, so their
 * verdicts are remembered (`remembered-validation.ts`). A record's own ServiceRequest, Consent or
 * Communication is new each time and is simply validated.
 */
const SUPPORTING = new Set(['Patient', 'Practitioner', 'PractitionerRole', 'Organization', 'RelatedPerson']);

/** Binds the ingest use cases to `deps`. */
export function createIngestUseCases(given: IngestDeps): IngestUseCases {
  const validator = rememberValidation(given.validator, { remembers: (r) => SUPPORTING.has(r.resourceType) });
  const deps: IngestDeps = { ...given, validator };
  return {
    referral: (input, ctx) => ingestReferral(deps, input, ctx),
    consent: (input, ctx) => ingestConsent(deps, input, ctx),
    revocation: (input, ctx) => ingestRevocation(deps, input, ctx),
    revoke: (id, body, ctx) => revokeConsent(deps, id, body, ctx),
    update: (input, ctx) => ingestUpdate(deps, input, ctx),
    referralStatus: (input, ctx) => ingestReferralStatus(deps, input, ctx),
    status: (id, body, ctx) => recordReferralStatus(deps, id, body, ctx),
    fhirBundle: (bundle, ctx) => ingestFhirBundle(deps, bundle, ctx),
    message: (bundle, ctx) => processMessage(deps, bundle, ctx),
  };
}
