import { buildDisclosureLog, type DisclosureLogEntry } from '../audit/disclosure-log';
import type { Referral } from '../domain/records';
import { displayName } from '../mapping/names';
import { readerOf, recordRead, type AccessReader, type AuditedReadDeps } from './audited-reads';

/**
 * The disclosure log of one client (45 CFR 164.528; DESIGN.md §8 `disclosures --patient MRN`,
 * `GET /patients/{mrn}/disclosures`): built from the audit trail, so it lists exactly what
 * reached a destination — a retry answered "already there" is dated to the attempt that
 * committed. Reading it is itself a read of PHI, so the read is audited (164.312(b)) here, for
 * HTTP and CLI alike.
 */
export interface DisclosureLogResult {
  /** False when the practice holds nothing for this MRN. */
  found: boolean;
  entries: RecipientNamedEntry[];
}

/**
 * An entry with the recipient's name and organisation when the client's referrals name the
 * clinician with that NPI: an accounting names who received the information (164.528(b)(2)(ii)),
 * not only an identifier.
 */
export type RecipientNamedEntry = DisclosureLogEntry & { recipientName?: string };

export type DisclosureLogDeps = AuditedReadDeps;

/**
 * Reads the client's disclosure log and records who read it (`reader`: the API key with its
 * request id, or a command-line actor such as `cli`), before the log is handed back.
 * `recordAccess: false` only for tests that compare two reads.
 */
export async function readDisclosureLog(
  deps: DisclosureLogDeps,
  patientMrn: string,
  reader: AccessReader | string,
  options: { recordAccess?: boolean } = {},
): Promise<DisclosureLogResult> {
  const [records, audits] = await Promise.all([
    deps.store.listRecords({ patientMrn }),
    deps.store.listAudit({ patientMrn }),
  ]);
  // Records, not audits: reading an unknown MRN leaves an access audit under it.
  const found = records.length > 0;
  const names = recipientNames(records.filter((r) => r.kind === 'referral').map((r) => r.json as Referral));
  const entries = buildDisclosureLog(audits.map((a) => a.event)).map((e) => {
    const recipientName = e.recipientNpi ? names.get(e.recipientNpi) : undefined;
    return recipientName ? { ...e, recipientName } : e;
  });
  if (options.recordAccess === false) return { found, entries };
  await recordRead(deps.store, deps, readerOf(reader), {
    what: 'disclosure-log',
    patientMrns: [patientMrn],
    outcome: found ? '0' : '4',
  });
  return { found, entries };
}

/** NPI → "Jordan Lee, LMFT (Lakeside Psychotherapy)" from the client's referrals. */
function recipientNames(referrals: Referral[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const { referringClinician: c } of referrals) {
    const org = c.organization ? ` (${c.organization.name})` : '';
    names.set(c.npi, `${displayName(c.name)}${org}`);
  }
  return names;
}
