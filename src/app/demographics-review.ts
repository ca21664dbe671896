import type { Flag } from '@medplum/fhirtypes';
import type { HumanNameRecord, ReferralClient } from '../domain/records';
import { IDENTIFIER_SYSTEM } from '../fhir/canonical';
import type { InboundClient } from '../mapping/reverse-people';
import { contentHash } from './content-hash';
import { staffReviewFlag } from './match-client';

/**
 * Inbound data never overwrites a stored client's demographics (DESIGN.md §8 "Trust at the
 * edge"): a sender holding an MRN or a referrer's patient id could otherwise rename a client —
 * and the new name would go to every consented clinician's EHR. The client stays as stored; what
 * the sender said differently is kept in a Flag for staff review, never echoed to the sender.
 */

/** One demographic field the sender gave differently: the field and the value received. */
export interface Difference {
  field: 'name' | 'birthDate' | 'gender' | 'phone' | 'email' | 'referrerPatientId';
  received: string;
}

const nameText = (n: HumanNameRecord): string =>
  [...(n.prefix ?? []), ...(n.given ?? []), n.family ?? '', ...(n.suffix ?? [])].filter(Boolean).join(' ');
const norm = (s: string): string => s.normalize('NFKC').trim().toLowerCase();

/** The fields the sender gave that differ from the client on file (fields it left out do not count). */
export function demographicDifferences(received: InboundClient, onFile: ReferralClient): Difference[] {
  const out: Difference[] = [];
  const differs = (a: string | undefined, b: string | undefined): boolean =>
    a !== undefined && norm(a) !== norm(b ?? '');
  if (differs(nameText(received.name), nameText(onFile.name)))
    out.push({ field: 'name', received: nameText(received.name) });
  if (received.birthDate !== onFile.birthDate) out.push({ field: 'birthDate', received: received.birthDate });
  // An absent Patient.gender is read as `unknown`: that is silence, not a difference.
  if (received.gender !== 'unknown' && received.gender !== onFile.gender)
    out.push({ field: 'gender', received: received.gender });
  if (differs(received.phone, onFile.phone)) out.push({ field: 'phone', received: received.phone ?? '' });
  if (differs(received.email, onFile.email)) out.push({ field: 'email', received: received.email ?? '' });
  const rid = received.referrerPatientId;
  const known = onFile.referrerPatientId;
  if (rid && (rid.system !== known?.system || rid.value !== known.value))
    out.push({ field: 'referrerPatientId', received: `${rid.system}|${rid.value}` });
  return out;
}

/**
 * The staff-review Flag for a referral whose Patient differs from the client on file. Its id
 * derives from the client, the referral and what was received, so a re-sent referral finds its
 * Flag already there and one that differs again in another way gets a Flag of its own.
 */
export function demographicsFlag(
  mrn: string,
  referralId: string,
  differences: Difference[],
  now: Date,
): Flag & { id: string } {
  const hash = contentHash({ mrn, referralId, differences }).slice(0, 32);
  const received = differences.map((d) => `${d.field} "${d.received}"`).join(', ');
  return staffReviewFlag(
    `demographics-${hash}`,
    { system: IDENTIFIER_SYSTEM.demographicsReview, value: `${mrn}|${referralId}|${hash}` },
    mrn,
    `Inbound referral ${referralId} described client ${mrn} differently: ${received}. The client was kept as on file; review and correct the client record if the sender is right.`,
    now,
  );
}
