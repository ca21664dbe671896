import type { Flag, OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { Referral, ReferralClient } from '../domain/records';
import { CODE_SYSTEM, IDENTIFIER_SYSTEM } from '../fhir/canonical';
import { issue } from '../fhir/outcomes';
import { resourceId } from '../mapping';
import type { InboundClient } from '../mapping/reverse-people';
import type { StoreOps } from '../store/store-port';

/**
 * Client matching for inbound referrals (DESIGN.md §1 step 1): an identifier match joins the
 * existing client; a same-name-and-birth-date match without an identifier is never merged
 * automatically — the referral gets a new MRN and a possible-duplicate Flag for a person to
 * resolve (a wrong merge would disclose one person's care to another's referrer, HIPAA
 * 164.502); anyone else is a new client with the next practice MRN.
 */

export type ClientMatch =
  | { kind: 'existing'; mrn: string; by: 'practice-mrn' | 'referrer-patient-id' | 'same-referral' }
  | { kind: 'new'; mrn: string; possibleDuplicates: string[] };

export type MatchResult = { ok: true; match: ClientMatch } | { ok: false; issues: OperationOutcomeIssue[] };

const MRN = /^KAP-(\d+)$/;
/** The store counter of practice MRN sequence numbers. */
const MRN_COUNTER = 'mrn';

/** Every client on file (latest referral per MRN), read inside the caller's transaction. */
async function knownClients(tx: StoreOps): Promise<Map<string, ReferralClient>> {
  const clients = new Map<string, ReferralClient>();
  for (const r of await tx.listRecords({ kind: 'referral' })) {
    const client = (r.json as Referral).client;
    clients.set(client.mrn, client);
  }
  return clients;
}

/**
 * The next practice MRN: `KAP-` + a number from the store's `mrn` counter, zero-padded to 6
 * digits. The counter is taken above the highest sequence on file, so MRNs the practice assigned
 * itself (practice records carry them) are never handed out again; the counter itself keeps two
 * concurrent transactions — two instances sharing one PostgreSQL database — from assigning the
 * same MRN to two new clients (reading the highest MRN alone would race).
 */
export async function nextMrn(tx: StoreOps): Promise<string> {
  let max = 0;
  for (const r of await tx.listRecords({})) {
    const seq = MRN.exec(r.patientMrn ?? '')?.[1];
    if (seq) max = Math.max(max, Number(seq));
  }
  const next = await tx.nextInSequence(MRN_COUNTER, max);
  return `KAP-${String(next).padStart(6, '0')}`;
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

/**
 * Matches `client` to the clients on file. `practiceMrn` (the Patient carried the practice's
 * MRN) must name a client on file — a sender cannot create MRNs; `expression` points at the
 * Patient's identifiers for refusals.
 */
export async function matchClient(
  tx: StoreOps,
  client: InboundClient,
  practiceMrn: string | undefined,
  expression: string,
): Promise<MatchResult> {
  const clients = await knownClients(tx);
  const rid = client.referrerPatientId;
  const byId = rid
    ? [...clients.values()].find(
        (c) => c.referrerPatientId?.system === rid.system && c.referrerPatientId.value === rid.value,
      )
    : undefined;
  if (practiceMrn !== undefined) {
    if (!clients.has(practiceMrn)) {
      const text = `The Patient carries practice MRN ${practiceMrn}, which names no client on file; MRNs are assigned by the practice.`;
      return { ok: false, issues: [issue({ code: 'not-found', expression, text })] };
    }
    if (byId && byId.mrn !== practiceMrn) {
      const text = `The Patient's practice MRN ${practiceMrn} and its identifier ${rid?.system}|${rid?.value} name two different clients; resolve before re-sending.`;
      return { ok: false, issues: [issue({ code: 'conflict', expression, text })] };
    }
    return { ok: true, match: { kind: 'existing', mrn: practiceMrn, by: 'practice-mrn' } };
  }
  if (byId) return { ok: true, match: { kind: 'existing', mrn: byId.mrn, by: 'referrer-patient-id' } };
  const possibleDuplicates = [...clients.values()]
    .filter((c) => sameNameAndBirthDate(client, c))
    .map((c) => c.mrn)
    .sort();
  return { ok: true, match: { kind: 'new', mrn: await nextMrn(tx), possibleDuplicates } };
}

/**
 * The stored marker of a possible duplicate: an active administrative Flag on the new client
 * (R4 Flag: "a warning … for a person to act on"), identified by both MRNs so that it is
 * created once and can be listed with {@link listPossibleDuplicates}. Never delivered.
 */
export function possibleDuplicateFlag(newMrn: string, existingMrn: string, now: Date): Flag & { id: string } {
  return {
    resourceType: 'Flag',
    id: `duplicate-${newMrn}-${existingMrn}`.slice(0, 64),
    identifier: [{ system: IDENTIFIER_SYSTEM.possibleDuplicate, value: `${newMrn}|${existingMrn}` }],
    status: 'active',
    category: [
      {
        coding: [
          {
            system: CODE_SYSTEM.flagCategory,
            code: 'admin',
            display: 'Administrative',
          },
        ],
      },
    ],
    code: {
      text: `Possible duplicate client: same name and birth date as ${existingMrn}, no shared identifier. Confirm or separate the records; nothing was merged.`,
    },
    subject: { reference: `Patient/${resourceId.patient(newMrn)}` },
    period: { start: now.toISOString() },
  };
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
