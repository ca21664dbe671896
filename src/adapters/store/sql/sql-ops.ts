import { randomUUID } from 'node:crypto';
import type { AuditEvent, Resource } from '@medplum/fhirtypes';
import type { RecordKind } from '../../../domain/records';
import { OUTBOX_STATES, UNDELIVERED_STATES } from '../../../outbox';
import {
  type AuditFilter,
  type InboundMessage,
  type InboundMessageFilter,
  type NewInboundMessage,
  type NewOutboxRow,
  type NewRecord,
  type OutboxFilter,
  type OutboxPatch,
  type OutboxRow,
  type OutboxState,
  type ReferralClientLookup,
  type StoredAuditEvent,
  type StoredRecord,
  type StoredResource,
  type StoreOps,
} from '../../../app/ports/store-port';
import type { SqlDialect, SqlExecutor, SqlParam } from './sql-executor';
import { iso, toAudit, toInboundMessage, toOutboxRow, toRecord, toResource, type Row } from './sql-rows';

/** Runs `fn` atomically: inside an open transaction it just runs it, outside it opens one. */
export type Atomic = <T>(fn: (ops: SqlOps) => Promise<T>) => Promise<T>;

const OUTBOX_ORDER = 'ORDER BY deadline ASC NULLS LAST, created_at ASC, id ASC';

/** Column name for each patchable field (the patch is applied as `SET col = ?`). */
const PATCH_COLUMNS: Record<keyof OutboxPatch, string> = {
  state: 'state',
  nextAttemptAt: 'next_attempt_at',
  leaseOwner: 'lease_owner',
  leaseUntil: 'lease_until',
  late: 'late',
  lastOutcome: 'last_outcome',
  consentRef: 'consent_ref',
  deliveredAt: 'delivered_at',
  attempts: 'attempts',
};

/** `SET a = ?, b = ?, updated_at = ?` and its parameters, for an outbox patch. */
export function patchSql(patch: OutboxPatch, now: Date): { set: string; params: SqlParam[] } {
  const cols: string[] = [];
  const params: SqlParam[] = [];
  for (const [key, col] of Object.entries(PATCH_COLUMNS) as Array<[keyof OutboxPatch, string]>) {
    if (!(key in patch)) continue;
    const v = patch[key];
    cols.push(`${col} = ?`);
    params.push(v === undefined ? null : key === 'lastOutcome' ? JSON.stringify(v) : (v as SqlParam));
  }
  cols.push('updated_at = ?');
  params.push(iso(now));
  return { set: cols.join(', '), params };
}

/** `IN (?, ?, …)` for a list of values. */
export function inList(n: number): string {
  return `(${new Array(n).fill('?').join(', ')})`;
}

/**
 * The store operations in portable SQL (SQLite ≥ 3.35 and PostgreSQL ≥ 13 both have
 * `RETURNING`, `ON CONFLICT DO NOTHING` and `NULLS LAST`).
 */
export class SqlOps implements StoreOps {
  constructor(
    protected readonly exec: SqlExecutor,
    protected readonly atomic: Atomic,
    protected readonly dialect: SqlDialect,
  ) {}

  async putRecord(r: NewRecord): Promise<StoredRecord> {
    // One statement, so the version number cannot race within SQLite's write lock; on
    // PostgreSQL a concurrent writer of the same id fails on the primary key instead.
    const rows = await this.exec.all<Row>(
      `INSERT INTO records (kind, id, version, content_hash, json, patient_mrn, received_at)
       SELECT ?, ?, COALESCE(MAX(version), 0) + 1, ?, ?, ?, ? FROM records WHERE kind = ? AND id = ?
       RETURNING *`,
      [r.kind, r.id, r.contentHash, JSON.stringify(r.json), r.patientMrn, iso(r.receivedAt), r.kind, r.id],
    );
    return toRecord(first(rows));
  }

  async getRecord(kind: RecordKind, id: string): Promise<StoredRecord | null> {
    const rows = await this.exec.all<Row>(
      'SELECT * FROM records WHERE kind = ? AND id = ? ORDER BY version DESC LIMIT 1',
      [kind, id],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async listRecords(filter: { kind?: RecordKind; patientMrn?: string }): Promise<StoredRecord[]> {
    const { clause, params } = where([
      ['r.kind = ?', filter.kind],
      ['r.patient_mrn = ?', filter.patientMrn],
    ]);
    const latest = 'r.version = (SELECT MAX(version) FROM records m WHERE m.kind = r.kind AND m.id = r.id)';
    const rows = await this.exec.all<Row>(
      `SELECT * FROM records r ${clause ? `${clause} AND` : 'WHERE'} ${latest} ORDER BY r.received_at, r.kind, r.id`,
      params,
    );
    return rows.map(toRecord);
  }

  async findReferrals(lookup: ReferralClientLookup): Promise<StoredRecord[]> {
    const { cond, params } = referralLookupSql(this.dialect, lookup);
    // `kind = 'referral'` is a literal so that the partial indexes of migration 003 apply.
    const rows = await this.exec.all<Row>(
      `SELECT * FROM records r WHERE r.kind = 'referral' AND ${cond}
         AND r.version = (SELECT MAX(version) FROM records m WHERE m.kind = r.kind AND m.id = r.id)
       ORDER BY r.received_at, r.id`,
      params,
    );
    return rows.map(toRecord);
  }

  putResource<T extends Resource>(
    resource: T & { id: string },
    patientMrn: string | null,
    at: Date,
  ): Promise<StoredResource<T>> {
    return this.atomic(async (ops) => {
      const latest = await ops.exec.all<{ v: unknown }>(
        'SELECT MAX(version_id) AS v FROM resources WHERE resource_type = ? AND id = ?',
        [resource.resourceType, resource.id],
      );
      const versionId = Number(latest[0]?.v ?? 0) + 1;
      const stored = {
        ...resource,
        meta: { ...resource.meta, versionId: String(versionId), lastUpdated: iso(at) },
      };
      await ops.exec.run(
        `INSERT INTO resources (resource_type, id, version_id, json, patient_mrn, last_updated)
         VALUES (?, ?, ?, ?, ?, ?)`,
        [resource.resourceType, resource.id, versionId, JSON.stringify(stored), patientMrn, iso(at)],
      );
      return {
        resourceType: resource.resourceType,
        id: resource.id,
        versionId,
        resource: stored,
        patientMrn,
        lastUpdated: at,
      };
    });
  }

  async getResource(resourceType: string, id: string, versionId?: number): Promise<StoredResource | null> {
    const rows =
      versionId === undefined
        ? await this.exec.all<Row>(
            'SELECT * FROM resources WHERE resource_type = ? AND id = ? ORDER BY version_id DESC LIMIT 1',
            [resourceType, id],
          )
        : await this.exec.all<Row>(
            'SELECT * FROM resources WHERE resource_type = ? AND id = ? AND version_id = ?',
            [resourceType, id, versionId],
          );
    return rows[0] ? toResource(rows[0]) : null;
  }

  async listResources(filter: { resourceType: string; patientMrn?: string }): Promise<StoredResource[]> {
    const { clause, params } = where([
      ['r.resource_type = ?', filter.resourceType],
      ['r.patient_mrn = ?', filter.patientMrn],
    ]);
    const rows = await this.exec.all<Row>(
      `SELECT * FROM resources r ${clause} AND r.version_id =
         (SELECT MAX(version_id) FROM resources m WHERE m.resource_type = r.resource_type AND m.id = r.id)
       ORDER BY r.last_updated, r.id`,
      params,
    );
    return rows.map(toResource);
  }

  async enqueue(row: NewOutboxRow, now: Date): Promise<{ row: OutboxRow; created: boolean }> {
    const inserted = await this.exec.all<Row>(
      `INSERT INTO outbox (id, item_key, destination_id, patient_mrn, recipient_npi, resource_type,
         resource_id, resource_version, state, attempts, next_attempt_at, deadline, late,
         last_outcome, consent_ref, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (item_key) DO NOTHING RETURNING *`,
      [
        randomUUID(),
        row.itemKey,
        row.destinationId,
        row.patientMrn,
        row.recipientNpi,
        row.resourceType,
        row.resourceId,
        row.resourceVersion,
        row.state,
        row.nextAttemptAt ? iso(row.nextAttemptAt) : null,
        row.deadline ? iso(row.deadline) : null,
        false,
        row.lastOutcome ? JSON.stringify(row.lastOutcome) : null,
        row.consentRef,
        iso(now),
        iso(now),
      ],
    );
    if (inserted[0]) return { row: toOutboxRow(inserted[0]), created: true };
    const existing = await this.exec.all<Row>('SELECT * FROM outbox WHERE item_key = ?', [row.itemKey]);
    return { row: toOutboxRow(first(existing)), created: false };
  }

  async getOutbox(id: string): Promise<OutboxRow | null> {
    const rows = await this.exec.all<Row>('SELECT * FROM outbox WHERE id = ?', [id]);
    return rows[0] ? toOutboxRow(rows[0]) : null;
  }

  async listOutbox(filter: OutboxFilter = {}): Promise<OutboxRow[]> {
    const { clause, params } = where([
      ['state = ?', filter.state],
      ['destination_id = ?', filter.destinationId],
      ['patient_mrn = ?', filter.patientMrn],
    ]);
    const rows = await this.exec.all<Row>(`SELECT * FROM outbox ${clause} ${OUTBOX_ORDER}`, params);
    return rows.map(toOutboxRow);
  }

  async countOutboxByState(): Promise<Record<OutboxState, number>> {
    const counts = Object.fromEntries(OUTBOX_STATES.map((s) => [s, 0])) as Record<OutboxState, number>;
    const rows = await this.exec.all<Row>('SELECT state, COUNT(*) AS n FROM outbox GROUP BY state');
    // PostgreSQL's COUNT is a bigint, which pg hands over as a string.
    for (const r of rows) counts[r.state as OutboxState] = Number(r.n);
    return counts;
  }

  async countOutboxAtRisk(now: Date, withinMs: number): Promise<number> {
    const rows = await this.exec.all<Row>(
      `SELECT COUNT(*) AS n FROM outbox
       WHERE deadline >= ? AND deadline < ? AND state IN ${inList(UNDELIVERED_STATES.length)}`,
      [iso(now), iso(new Date(now.getTime() + withinMs)), ...UNDELIVERED_STATES],
    );
    return Number(first(rows).n);
  }

  async transitionOutbox(
    id: string,
    fromStates: readonly OutboxState[],
    patch: OutboxPatch,
    now: Date,
  ): Promise<OutboxRow | null> {
    if (fromStates.length === 0) return null;
    const { set, params } = patchSql(patch, now);
    const rows = await this.exec.all<Row>(
      `UPDATE outbox SET ${set} WHERE id = ? AND state IN ${inList(fromStates.length)} RETURNING *`,
      [...params, id, ...fromStates],
    );
    return rows[0] ? toOutboxRow(rows[0]) : null;
  }

  async nextInSequence(name: string, above: number): Promise<number> {
    // An upsert is one statement holding the row lock to commit: a concurrent taker waits and
    // then sees the committed value (PostgreSQL re-reads the row it waited for).
    const rows = await this.exec.all<Row>(
      `INSERT INTO counters (name, last) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET last =
         CASE WHEN counters.last >= excluded.last THEN counters.last + 1 ELSE excluded.last END
       RETURNING last`,
      [name, above + 1],
    );
    return Number(first(rows).last);
  }

  async raiseSequence(name: string, atLeast: number): Promise<void> {
    // Written only when it raises the counter, so the common case (already above) locks nothing.
    const rows = await this.exec.all<Row>('SELECT last FROM counters WHERE name = ?', [name]);
    if (rows[0] && Number(rows[0].last) >= atLeast) return;
    await this.exec.run(
      `INSERT INTO counters (name, last) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET last = excluded.last WHERE counters.last < excluded.last`,
      [name, atLeast],
    );
  }

  async putInboundMessage(m: NewInboundMessage): Promise<{ message: InboundMessage; created: boolean }> {
    const inserted = await this.exec.all<Row>(
      `INSERT INTO inbound_messages (id, source_key, channel, origin, referral_id, patient_mrn,
         in_reply_to, received_at, json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (source_key) DO NOTHING RETURNING *`,
      [
        randomUUID(),
        m.sourceKey,
        m.channel,
        m.origin,
        m.referralId,
        m.patientMrn,
        m.inReplyTo,
        iso(m.receivedAt),
        JSON.stringify(m.communication),
      ],
    );
    if (inserted[0]) return { message: toInboundMessage(inserted[0]), created: true };
    const existing = await this.exec.all<Row>('SELECT * FROM inbound_messages WHERE source_key = ?', [
      m.sourceKey,
    ]);
    return { message: toInboundMessage(first(existing)), created: false };
  }

  async getInboundMessage(id: string): Promise<InboundMessage | null> {
    const rows = await this.exec.all<Row>('SELECT * FROM inbound_messages WHERE id = ?', [id]);
    return rows[0] ? toInboundMessage(rows[0]) : null;
  }

  async listInboundMessages(filter: InboundMessageFilter): Promise<InboundMessage[]> {
    const rows =
      'referralId' in filter
        ? await this.exec.all<Row>(
            'SELECT * FROM inbound_messages WHERE referral_id = ? ORDER BY received_at, id',
            [filter.referralId],
          )
        : await this.exec.all<Row>(
            'SELECT * FROM inbound_messages WHERE referral_id IS NULL ORDER BY received_at, id',
          );
    return rows.map(toInboundMessage);
  }

  async markInboundHandled(id: string, by: string, at: Date): Promise<InboundMessage | null> {
    await this.exec.run(
      'UPDATE inbound_messages SET handled_at = ?, handled_by = ? WHERE id = ? AND handled_at IS NULL',
      [iso(at), by, id],
    );
    return this.getInboundMessage(id);
  }

  async getReplyWatermark(destinationId: string): Promise<string | null> {
    const rows = await this.exec.all<Row>('SELECT watermark FROM reply_watermarks WHERE destination_id = ?', [
      destinationId,
    ]);
    return typeof rows[0]?.watermark === 'string' ? rows[0].watermark : null;
  }

  async setReplyWatermark(destinationId: string, watermark: string, now: Date): Promise<void> {
    await this.exec.run(
      `INSERT INTO reply_watermarks (destination_id, watermark, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (destination_id) DO UPDATE SET watermark = excluded.watermark, updated_at = excluded.updated_at`,
      [destinationId, watermark, iso(now)],
    );
  }

  async appendAudit(event: AuditEvent, patientMrn: string | null): Promise<StoredAuditEvent> {
    if (!event.id) throw new Error('store: an AuditEvent needs an id before it is appended');
    const recorded = new Date(event.recorded);
    if (Number.isNaN(recorded.getTime())) throw new Error('store: AuditEvent.recorded is not an instant');
    const rows = await this.exec.all<Row>(
      `INSERT INTO audit_events (id, recorded, patient_mrn, outcome, json) VALUES (?, ?, ?, ?, ?) RETURNING *`,
      [event.id, iso(recorded), patientMrn, event.outcome ?? null, JSON.stringify(event)],
    );
    return toAudit(first(rows));
  }

  async listAudit(filter: AuditFilter = {}): Promise<StoredAuditEvent[]> {
    const { clause, params } = where([
      ['patient_mrn = ?', filter.patientMrn],
      ['recorded >= ?', filter.since && iso(filter.since)],
      ['recorded < ?', filter.until && iso(filter.until)],
      ['outcome = ?', filter.outcome],
    ]);
    const rows = await this.exec.all<Row>(
      `SELECT * FROM audit_events ${clause} ORDER BY recorded, id`,
      params,
    );
    return rows.map(toAudit);
  }
}

/** The single row a statement with `RETURNING` must produce. */
export function first(rows: Row[]): Row {
  const row = rows[0];
  if (!row) throw new Error('store: a statement expected to return a row returned none');
  return row;
}

/** Operations bound to an open transaction: nested "atomic" work simply joins it. */
export function opsInTransaction(exec: SqlExecutor, dialect: SqlDialect): SqlOps {
  const ops: SqlOps = new SqlOps(exec, (fn) => fn(ops), dialect);
  return ops;
}

/** The condition of a referral lookup, on the indexed expressions of migration 003. */
export function referralLookupSql(
  dialect: SqlDialect,
  lookup: ReferralClientLookup,
): { cond: string; params: SqlParam[] } {
  if ('patientMrn' in lookup) return { cond: 'r.patient_mrn = ?', params: [lookup.patientMrn] };
  if ('birthDate' in lookup) {
    return { cond: `${dialect.jsonText(['client', 'birthDate'])} = ?`, params: [lookup.birthDate] };
  }
  const { system, value } = lookup.referrerPatientId;
  return {
    cond: `${dialect.jsonText(['client', 'referrerPatientId', 'value'])} = ? AND ${dialect.jsonText(['client', 'referrerPatientId', 'system'])} = ?`,
    params: [value, system],
  };
}

/** `WHERE a = ? AND b = ?` for the conditions whose value is given (empty when none is). */
function where(conds: Array<[string, SqlParam | undefined]>): { clause: string; params: SqlParam[] } {
  const given = conds.filter((c): c is [string, SqlParam] => c[1] !== undefined);
  return {
    clause: given.length > 0 ? `WHERE ${given.map((c) => c[0]).join(' AND ')}` : '',
    params: given.map((c) => c[1]),
  };
}
