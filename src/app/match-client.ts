import type { Flag, OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { Referral, ReferralClient } from '../domain/records';
import { CODE_SYSTEM, IDENTIFIER_SYSTEM } from '../fhir/canonical';
import { issue } from '../fhir/outcomes';
import { resourceId } from '../mapping';
import type { InboundClient } from '../mapping/reverse-people';
import type { StoreOps } from './ports/store-port';
import { UNUSABLE_IDENTIFIER } from './inbound-answers';

/**
 * Client matching for inbound referrals (DESIGN.md §1 step 1): an identifier match joins the
 * existing client; a same-name-and-birth-date match without an identifier is never merged
 * automatically — the referral gets a new MRN and a possible-duplicate Flag for a person to
 * resolve (a wrong merge would disclose one person's care to another's referrer, HIPAA
 * 164.502); anyone else is a new client with the next practice MRN. Every lookup goes through an
 * indexed store query (DESIGN.md §8: cost per referral does not grow with the number of clients).
 */

export type ClientMatch =
  | {
      kind: 'existing';
      mrn: string;
      /** The client as on file: inbound data never overwrites it (DESIGN.md §8). */
      client: ReferralClient;
      by: 'practice-mrn' | 'referrer-patient-id' | 'same-referral';
    }
  | { kind: 'new'; mrn: string; possibleDuplicates: string[] };

export type MatchResult = { ok: true; match: ClientMatch } | { ok: false; issues: OperationOutcomeIssue[] };

/** A practice MRN: `KAP-` and its sequence number. */
export const MRN = /^KAP-(\d{1,9})$/;
/** The store counter of practice MRN sequence numbers. */
const MRN_COUNTER = 'mrn';

/**
 * The next practice MRN: `KAP-` + a number from the store's `mrn` counter, zero-padded to 6
 * digits. The counter stays above every MRN on file (seeded by migration 003, raised by
 * {@link noteMrnInUse} when a record carries an MRN the practice assigned itself), and it keeps
 * two concurrent transactions — two instances sharing one PostgreSQL database — from assigning
 * the same MRN to two new clients.
 */
export async function nextMrn(tx: StoreOps): Promise<string> {
  const next = await tx.nextInSequence(MRN_COUNTER, 0);
  return `KAP-${String(next).padStart(6, '0')}`;
}

/** Keeps the MRN counter above `mrn`, so an MRN on file is never assigned to another client. */
export async function noteMrnInUse(tx: StoreOps, mrn: string): Promise<void> {
  const seq = MRN.exec(mrn)?.[1];
  if (seq) await tx.raiseSequence(MRN_COUNTER, Number(seq));
}

/** The client on file under `mrn`: the one its latest referral names. */
export async function clientOnFile(tx: StoreOps, mrn: string): Promise<ReferralClient | undefined> {
  const referrals = await tx.findReferrals({ patientMrn: mrn });
  return (referrals.at(-1)?.json as Referral | undefined)?.client;
}

const norm = (s: string | undefined): string => (s ?? '').normalize('NFKC').trim().toLowerCase();

function sameNameAndBirthDate(a: InboundClient, b: ReferralClient): boolean {
  return (
    a.birthDate === b.birthDate &&
    norm(a.name.family) !== '' &&
    norm(a.name.family) === norm(b.name.family) &&
    norm(a.name.given?.[0]) === norm(b.name.given?.[0])
  );
}

/** Clients on file with the same name and birth date (the birth date index, names compared here). */
async function lookAlikes(tx: StoreOps, client: InboundClient): Promise<string[]> {
  const latest = new Map<string, ReferralClient>();
  for (const r of await tx.findReferrals({ birthDate: client.birthDate })) {
    const c = (r.json as Referral).client;
    latest.set(c.mrn, c);
  }
  return [...latest.values()]
    .filter((c) => sameNameAndBirthDate(client, c))
    .map((c) => c.mrn)
    .sort();
}

/**
 * Matches `client` to the clients on file. `practiceMrn` (the Patient carried the practice's
 * MRN) must name a client on file — a sender cannot create MRNs. A refusal says only that the
 * identifiers cannot be used, never whether the MRN or the referrer's id names a client
 * (DESIGN.md §8: answers to senders never reveal who is a client); `expression` points at the
 * Patient's identifiers.
 */
export async function matchClient(
  tx: StoreOps,
  client: InboundClient,
  practiceMrn: string | undefined,
  expression: string,
): Promise<MatchResult> {
  const rid = client.referrerPatientId;
  const byIdMrn = rid
    ? ((await tx.findReferrals({ referrerPatientId: rid }))[0]?.json as Referral | undefined)?.client.mrn
    : undefined;
  const unusable: MatchResult = {
    ok: false,
    issues: [issue({ code: 'value', expression, text: UNUSABLE_IDENTIFIER })],
  };
  if (practiceMrn !== undefined) {
    const onFile = await clientOnFile(tx, practiceMrn);
    if (!onFile || (byIdMrn !== undefined && byIdMrn !== practiceMrn)) return unusable;
    return { ok: true, match: { kind: 'existing', mrn: practiceMrn, client: onFile, by: 'practice-mrn' } };
  }
  if (byIdMrn !== undefined) {
    const onFile = await clientOnFile(tx, byIdMrn);
    if (!onFile) throw new Error('a referral found by its client has no client on file');
    return { ok: true, match: { kind: 'existing', mrn: byIdMrn, client: onFile, by: 'referrer-patient-id' } };
  }
  const possibleDuplicates = await lookAlikes(tx, client);
  return { ok: true, match: { kind: 'new', mrn: await nextMrn(tx), possibleDuplicates } };
}

/**
 * An active administrative Flag on a client, for a person to act on (R4 Flag: "a warning …");
 * identified by `identifier` so that it is created once and can be listed. Never delivered.
 */
export function staffReviewFlag(
  id: string,
  identifier: { system: string; value: string },
  mrn: string,
  text: string,
  now: Date,
): Flag & { id: string } {
  return {
    resourceType: 'Flag',
    id: id.slice(0, 64),
    identifier: [identifier],
    status: 'active',
    category: [{ coding: [{ system: CODE_SYSTEM.flagCategory, code: 'admin', display: 'Administrative' }] }],
    code: { text },
    subject: { reference: `Patient/${resourceId.patient(mrn)}` },
    period: { start: now.toISOString() },
  };
}

/**
 * The stored marker of a possible duplicate: a staff-review Flag on the new client, identified by
 * both MRNs so that it is created once and can be listed with {@link listPossibleDuplicates}.
 */
export function possibleDuplicateFlag(newMrn: string, existingMrn: string, now: Date): Flag & { id: string } {
  return staffReviewFlag(
    `duplicate-${newMrn}-${existingMrn}`,
    { system: IDENTIFIER_SYSTEM.possibleDuplicate, value: `${newMrn}|${existingMrn}` },
    newMrn,
    `Possible duplicate client: same name and birth date as ${existingMrn}, no shared identifier. Confirm or separate the records; nothing was merged.`,
    now,
  );
}

/** A possible duplicate waiting for a person: the new client and the client on file it resembles. */
export interface PossibleDuplicate {
  flagId: string;
  newMrn: string;
  existingMrn: string;
  flaggedAt: Date;
}

/** Every active possible-duplicate Flag, oldest first. */
export async function listPossibleDuplicates(store: StoreOps): Promise<PossibleDuplicate[]> {
  const out: PossibleDuplicate[] = [];
  for (const s of await store.listResources({ resourceType: 'Flag' })) {
    const flag = s.resource as Flag;
    const id = flag.identifier?.find((i) => i.system === IDENTIFIER_SYSTEM.possibleDuplicate)?.value;
    const [newMrn, existingMrn] = id?.split('|') ?? [];
    if (flag.status !== 'active' || !newMrn || !existingMrn) continue;
    out.push({ flagId: s.id, newMrn, existingMrn, flaggedAt: s.lastUpdated });
  }
  return out;
}
