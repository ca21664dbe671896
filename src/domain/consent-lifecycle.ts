import type { OperationOutcome } from '@medplum/fhirtypes';
import { errorOutcome } from '../fhir/outcomes';
import type { ConsentRecord, RevocationRecord } from './records';

/**
 * The consent lifecycle (DESIGN.md §5 "Consent lifecycle"): the rules above the decision function
 * that keep the client in control whatever order records arrive in. Pure: the caller reads the
 * client's consents and revocations for one recipient and passes them in.
 *
 * - A revocation ends, as of `revokedAt`, the named consent and every other consent of that
 *   client for the same recipient signed before it; such a consent id is final.
 * - A consent signed before a newer consent or a revocation already on file for its recipient is
 *   late: it is stored `inactive` (superseded) and never governs.
 */

/** What is on file for one client and one recipient, as the lifecycle rules need it. */
export interface RecipientHistory {
  /** The client's consent records for the recipient (latest version of each id). */
  consents: ConsentRecord[];
  /** The revocations of those consents. */
  revocations: RevocationRecord[];
}

/** True when instant `a` is strictly earlier than instant `b` (offsets honoured, not string order). */
export function isEarlier(a: string, b: string): boolean {
  return Date.parse(a) < Date.parse(b);
}

/**
 * The revocation that ended consent `stored` (its record as already on file), if any: its own
 * revocation, or the earliest revocation for the same recipient dated after it was signed.
 */
export function revocationEnding(
  stored: ConsentRecord,
  history: RecipientHistory,
): RevocationRecord | undefined {
  const own = history.revocations.find((r) => r.consentId === stored.id);
  if (own) return own;
  return history.revocations
    .filter((r) => isEarlier(stored.signedAt, r.revokedAt))
    .sort((a, b) => Date.parse(a.revokedAt) - Date.parse(b.revokedAt))[0];
}

/**
 * Refuses a changed re-post of a consent a revocation ended (409 `conflict`, nothing stored): a
 * revocation is final for the consent id, so no re-sync or edit may bring it back; the client
 * shares again only through a new consent id signed after the revocation. Returns `undefined`
 * when the consent was not ended by a revocation.
 */
export function refuseChangeAfterRevocation(
  stored: ConsentRecord | undefined,
  history: RecipientHistory,
): OperationOutcome | undefined {
  const ended = stored && revocationEnding(stored, history);
  if (!stored || !ended) return undefined;
  const by =
    ended.consentId === stored.id ? 'its revocation' : `the revocation of consent ${ended.consentId}`;
  return errorOutcome(
    'conflict',
    `consent ${stored.id} was ended by ${by} (revokedAt ${ended.revokedAt}) and a revocation is final: ` +
      'it cannot be changed; record a new consent, with a new id, signed after the revocation',
    'id',
  );
}

/**
 * Why `consent` arrives too late to govern — it was signed before a newer consent or a
 * revocation already on file for its recipient — or `undefined` when it may govern. A late
 * consent is stored as `inactive` (superseded): it must not undo what the client decided later.
 */
export function lateBecause(consent: ConsentRecord, history: RecipientHistory): string | undefined {
  const newer = history.consents
    .filter((c) => c.id !== consent.id && isEarlier(consent.signedAt, c.signedAt))
    .sort((a, b) => Date.parse(b.signedAt) - Date.parse(a.signedAt))[0];
  if (newer) return `signed before consent ${newer.id} (signedAt ${newer.signedAt}) already on file`;
  const revocation = history.revocations.find((r) => isEarlier(consent.signedAt, r.revokedAt));
  if (revocation) {
    return `signed before the revocation of consent ${revocation.consentId} (revokedAt ${revocation.revokedAt})`;
  }
  return undefined;
}

/**
 * The other consents a revocation ends with the named one: the client's consents for the same
 * recipient signed before `revokedAt` (a client who says "stop sharing with Dr X" means all of
 * it). Consents signed after the revocation are untouched.
 */
export function endedWith(
  revocation: RevocationRecord,
  named: ConsentRecord,
  others: ConsentRecord[],
): ConsentRecord[] {
  return others.filter(
    (c) =>
      c.id !== named.id &&
      c.clientMrn === named.clientMrn &&
      c.recipientNpi === named.recipientNpi &&
      isEarlier(c.signedAt, revocation.revokedAt),
  );
}
