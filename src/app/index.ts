import type { IngestContext, IngestDeps, IngestResult } from './ingest-types';
import { ingestConsent } from './ingest-consent';
import { ingestReferral } from './ingest-referral';
import { ingestRevocation, revokeConsent } from './ingest-revocation';
import { ingestUpdate } from './ingest-update';

export type {
  IngestContext,
  IngestDeps,
  IngestResult,
  IngestStatus,
  ResourceValidator,
} from './ingest-types';
export { ingestConsent, ingestReferral, ingestRevocation, ingestUpdate, revokeConsent };

/** The ingest use cases bound to their dependencies (what the CLI and HTTP call). */
export interface IngestUseCases {
  referral(input: unknown, ctx?: IngestContext): Promise<IngestResult>;
  consent(input: unknown, ctx?: IngestContext): Promise<IngestResult>;
  /** A revocation file: the request fields plus `consentId`. */
  revocation(input: unknown, ctx?: IngestContext): Promise<IngestResult>;
  /** `POST /consents/{id}/revoke`: the id from the path, the body without `consentId`. */
  revoke(consentId: string, body: unknown, ctx?: IngestContext): Promise<IngestResult>;
  update(input: unknown, ctx?: IngestContext): Promise<IngestResult>;
}

/** Binds the ingest use cases to `deps`. */
export function createIngestUseCases(deps: IngestDeps): IngestUseCases {
  return {
    referral: (input, ctx) => ingestReferral(deps, input, ctx),
    consent: (input, ctx) => ingestConsent(deps, input, ctx),
    revocation: (input, ctx) => ingestRevocation(deps, input, ctx),
    revoke: (id, body, ctx) => revokeConsent(deps, id, body, ctx),
    update: (input, ctx) => ingestUpdate(deps, input, ctx),
  };
}
