import { randomUUID } from 'node:crypto';
import { buildAccessAudit } from '../audit/access-audit';
import { buildDisclosureLog, type DisclosureLogEntry } from '../audit/disclosure-log';
import type { Store } from '../store/store-port';

/**
 * The disclosure log of one client (45 CFR 164.528; DESIGN.md §8 `disclosures --patient MRN`,
 * `GET /patients/{mrn}/disclosures`): built from the audit trail, so it lists exactly what
 * reached a destination — a retry answered "already there" is dated to the attempt that
 * committed. Reading it is itself a read of PHI, so the read is audited (164.312(b)).
 */
export interface DisclosureLogResult {
  /** False when the practice holds nothing for this MRN. */
  found: boolean;
  entries: DisclosureLogEntry[];
}

export interface DisclosureLogDeps {
  store: Store;
  clock: () => Date;
  newId?: () => string;
}

/**
 * Reads the client's disclosure log and records who read it (`actor`: API key name or `cli`).
 * `recordAccess: false` when the caller audits the read itself (the HTTP route does, through
 * its AuditPort), so one read is one AuditEvent.
 */
export async function readDisclosureLog(
  deps: DisclosureLogDeps,
  patientMrn: string,
  actor: string,
  options: { recordAccess?: boolean } = {},
): Promise<DisclosureLogResult> {
  const [records, audits] = await Promise.all([
    deps.store.listRecords({ patientMrn }),
    deps.store.listAudit({ patientMrn }),
  ]);
  // Records, not audits: reading an unknown MRN leaves an access audit under it.
  const found = records.length > 0;
  if (options.recordAccess === false)
    return { found, entries: buildDisclosureLog(audits.map((a) => a.event)) };
  await deps.store.appendAudit(
    buildAccessAudit({
      id: (deps.newId ?? randomUUID)(),
      recorded: deps.clock(),
      actor,
      what: 'disclosure-log',
      patientMrn,
      outcome: found ? '0' : '4',
    }),
    patientMrn,
  );
  return { found, entries: buildDisclosureLog(audits.map((a) => a.event)) };
}
