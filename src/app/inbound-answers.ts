import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { IngestStatus } from './ingest-types';

/**
 * What inbound senders (`POST /fhir`, `$process-message`) are told (DESIGN.md §8 "Trust at the
 * edge"): the same words whether the person is already a client or not, and no MRN the sender
 * did not send — an answer must not let an API key probe who the practice treats (HIPAA
 * 164.502(b), minimum necessary). Possible duplicates and demographic differences are Flags for
 * staff, never mentioned to the sender.
 */

/** The one refusal for a Patient identifier that cannot be used (unknown MRN, ids naming two clients). */
export const UNUSABLE_IDENTIFIER =
  "The Patient's identifiers cannot be used to file this referral. Check them, or send the referral without the practice's MRN.";

const FILED: Record<Exclude<IngestStatus, 'rejected'>, string> = {
  created: 'Referral received and filed by the practice.',
  updated: 'Changes to the referral received and filed by the practice.',
  unchanged: 'This referral is already on file with the same content; nothing changed.',
};

/** The information issue answering a stored referral: depends on the referral, never on the client. */
export function filedIssue(status: Exclude<IngestStatus, 'rejected'>): OperationOutcomeIssue {
  return { severity: 'information', code: 'informational', details: { text: FILED[status] } };
}

// Linear-time (no nested quantifiers): a practice MRN anywhere in a text, e.g. inside a resource id.
const ANY_MRN = /KAP-\d{1,9}/g;

/**
 * Issues with every practice MRN but `sent` (the one the sender carried, if any) replaced by
 * "[MRN]": a last guard for refusal texts built by the practice's own checks, which may name the
 * practice's resources (`Patient/patient-KAP-…`).
 */
export function withoutUnsentMrns(issues: OperationOutcomeIssue[], sent?: string): OperationOutcomeIssue[] {
  const scrub = (t: string): string => t.replace(ANY_MRN, (m) => (m === sent ? m : '[MRN]'));
  return issues.map((i) => ({
    ...i,
    ...(i.details?.text ? { details: { ...i.details, text: scrub(i.details.text) } } : {}),
    ...(i.diagnostics ? { diagnostics: scrub(i.diagnostics) } : {}),
  }));
}
