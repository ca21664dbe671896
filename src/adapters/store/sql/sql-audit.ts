import type { AuditEvent } from '@medplum/fhirtypes';
import type { AuditFilter, StoredAuditEvent } from '../../../app/ports/store-port';
import { where } from './sql-clauses';
import type { SqlExecutor } from './sql-executor';
import { iso, toAudit, type Row } from './sql-rows';

/** Appends an AuditEvent to the append-only trail (45 CFR 164.312(b)). */
export async function appendAudit(
  exec: SqlExecutor,
  event: AuditEvent,
  patientMrn: string | null,
): Promise<StoredAuditEvent> {
  if (!event.id) throw new Error('store: an AuditEvent needs an id before it is appended');
  const recorded = new Date(event.recorded);
  if (Number.isNaN(recorded.getTime())) throw new Error('store: AuditEvent.recorded is not an instant');
  const outcome = event.outcome ?? null;
  await exec.run(
    'INSERT INTO audit_events (id, recorded, patient_mrn, outcome, json) VALUES (?, ?, ?, ?, ?)',
    [event.id, iso(recorded), patientMrn, outcome, JSON.stringify(event)],
  );
  // What was written is what the caller gave: nothing to read back.
  return { id: event.id, recorded, patientMrn, outcome, event };
}

export async function listAudit(exec: SqlExecutor, filter: AuditFilter = {}): Promise<StoredAuditEvent[]> {
  const { clause, params } = where([
    ['patient_mrn = ?', filter.patientMrn],
    ['recorded >= ?', filter.since && iso(filter.since)],
    ['recorded < ?', filter.until && iso(filter.until)],
    ['outcome = ?', filter.outcome],
  ]);
  const rows = await exec.all<Row>(`SELECT * FROM audit_events ${clause} ORDER BY recorded, id`, params);
  return rows.map(toAudit);
}
