import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { outcome } from '../fhir/outcomes';
import { checkConsentRules, checkRevocationRules } from './consent-rules';
import type {
  ConsentRecord,
  IntegrationUpdate,
  Referral,
  ReferralStatusRecord,
  ReferralStatusRequest,
  RevocationRecord,
  RevocationRequest,
} from './records';
import { checkReferralRules } from './referral-rules';
import { checkReferralStatusRules } from './referral-status-rules';
import { checkSchema, type SchemaName } from './schema-check';
import { checkUpdateRules, type UpdateRuleOptions } from './update-rules';

/**
 * Parsing practice records: `unknown` JSON in, a typed record or an OperationOutcome out. First
 * the JSON Schema (shape, unknown fields refused), then the domain rules; a refusal lists every
 * problem found, each with its field path as `expression`.
 */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; outcome: OperationOutcome };

/** Options for record parsing. */
export type ParseOptions = UpdateRuleOptions;

function parseWith<T>(
  schema: SchemaName,
  input: unknown,
  rules: (value: T) => OperationOutcomeIssue[],
): ParseResult<T> {
  const shapeIssues = checkSchema(schema, input);
  if (shapeIssues.length > 0) return { ok: false, outcome: outcome(shapeIssues) };
  const value = input as T; // the schema above guarantees the shape of T
  const ruleIssues = rules(value);
  return ruleIssues.length > 0 ? { ok: false, outcome: outcome(ruleIssues) } : { ok: true, value };
}

/** Parses a referral (DESIGN.md §2). */
export function parseReferral(input: unknown): ParseResult<Referral> {
  return parseWith<Referral>('referral', input, checkReferralRules);
}

/** Parses a consent record. Whether it fits its referral is {@link checkConsentAgainstReferral}. */
export function parseConsent(input: unknown): ParseResult<ConsentRecord> {
  return parseWith<ConsentRecord>('consent', input, checkConsentRules);
}

/** Parses the body of `POST /consents/{id}/revoke` (no consentId: it comes from the path). */
export function parseRevocationRequest(input: unknown): ParseResult<RevocationRequest> {
  return parseWith<RevocationRequest>('revocation-request', input, checkRevocationRules);
}

/** Parses a revocation file (`kap-bridge ingest revocation`): the request plus `consentId`. */
export function parseRevocation(input: unknown): ParseResult<RevocationRecord> {
  return parseWith<RevocationRecord>('revocation', input, checkRevocationRules);
}

/** Parses an integration update; `opts.maxSectionLength` bounds each section (default 1,200). */
export function parseIntegrationUpdate(
  input: unknown,
  opts: ParseOptions = {},
): ParseResult<IntegrationUpdate> {
  return parseWith<IntegrationUpdate>('integration-update', input, (u) => checkUpdateRules(u, opts));
}

/** Parses the body of `POST /referrals/{id}/status` (no referralId: it comes from the path). */
export function parseReferralStatusRequest(input: unknown): ParseResult<ReferralStatusRequest> {
  return parseWith<ReferralStatusRequest>('referral-status-request', input, checkReferralStatusRules);
}

/** Parses a referral status file (`kap-bridge ingest referral-status`): the request plus `referralId`. */
export function parseReferralStatus(input: unknown): ParseResult<ReferralStatusRecord> {
  return parseWith<ReferralStatusRecord>('referral-status', input, checkReferralStatusRules);
}
