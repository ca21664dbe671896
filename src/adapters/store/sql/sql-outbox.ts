import { randomUUID } from 'node:crypto';
import { DUE_STATES, LEASED_STATES, OUTBOX_STATES, UNDELIVERED_STATES } from '../../../outbox';
import type {
  NewOutboxRow,
  OutboxFilter,
  OutboxPatch,
  OutboxRow,
  OutboxState,
} from '../../../app/ports/store-port';
import { first, inList, where } from './sql-clauses';
import type { SqlDialect, SqlExecutor, SqlParam } from './sql-executor';
import { byDeadline, iso, toOutboxRow, type Row } from './sql-rows';

/** The outbox (DESIGN.md §6): rows, their state changes and the relay's leases. */

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

export async function enqueue(
  exec: SqlExecutor,
  row: NewOutboxRow,
  now: Date,
): Promise<{ row: OutboxRow; created: boolean }> {
  const created: OutboxRow = {
    id: randomUUID(),
    itemKey: row.itemKey,
    destinationId: row.destinationId,
    patientMrn: row.patientMrn,
    recipientNpi: row.recipientNpi,
    resourceType: row.resourceType,
    resourceId: row.resourceId,
    resourceVersion: row.resourceVersion,
    state: row.state,
    attempts: 0,
    nextAttemptAt: copy(row.nextAttemptAt),
    leaseOwner: null,
    leaseUntil: null,
    deadline: copy(row.deadline),
    late: false,
    lastOutcome: row.lastOutcome ?? null,
    consentRef: row.consentRef,
    createdAt: new Date(now),
    updatedAt: new Date(now),
    deliveredAt: null,
  };
  // No RETURNING: a new row is exactly what was given, and `changes` says whether it was new.
  const inserted = await exec.run(
    `INSERT INTO outbox (id, item_key, destination_id, patient_mrn, recipient_npi, resource_type,
       resource_id, resource_version, state, attempts, next_attempt_at, deadline, late,
       last_outcome, consent_ref, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (item_key) DO NOTHING`,
    [
      created.id,
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
  if (inserted > 0) return { row: created, created: true };
  const existing = await exec.all<Row>('SELECT * FROM outbox WHERE item_key = ?', [row.itemKey]);
  return { row: toOutboxRow(first(existing)), created: false };
}

function copy(d: Date | null | undefined): Date | null {
  return d ? new Date(d) : null;
}

export async function getOutbox(exec: SqlExecutor, id: string): Promise<OutboxRow | null> {
  const rows = await exec.all<Row>('SELECT * FROM outbox WHERE id = ?', [id]);
  return rows[0] ? toOutboxRow(rows[0]) : null;
}

export async function listOutbox(exec: SqlExecutor, filter: OutboxFilter = {}): Promise<OutboxRow[]> {
  const { clause, params } = where([
    ['state = ?', filter.state],
    ['destination_id = ?', filter.destinationId],
    ['patient_mrn = ?', filter.patientMrn],
  ]);
  const rows = await exec.all<Row>(`SELECT * FROM outbox ${clause} ${OUTBOX_ORDER}`, params);
  return rows.map(toOutboxRow);
}

export async function countOutboxByState(exec: SqlExecutor): Promise<Record<OutboxState, number>> {
  const counts = Object.fromEntries(OUTBOX_STATES.map((s) => [s, 0])) as Record<OutboxState, number>;
  const rows = await exec.all<Row>('SELECT state, COUNT(*) AS n FROM outbox GROUP BY state');
  // PostgreSQL's COUNT is a bigint, which pg hands over as a string.
  for (const r of rows) counts[r.state as OutboxState] = Number(r.n);
  return counts;
}

export async function countOutboxAtRisk(exec: SqlExecutor, now: Date, withinMs: number): Promise<number> {
  const rows = await exec.all<Row>(
    `SELECT COUNT(*) AS n FROM outbox
     WHERE deadline >= ? AND deadline < ? AND state IN ${inList(UNDELIVERED_STATES.length)}`,
    [iso(now), iso(new Date(now.getTime() + withinMs)), ...UNDELIVERED_STATES],
  );
  return Number(first(rows).n);
}

/** Compare-and-set on the row's state: the patch applies only from one of `fromStates`. */
export async function transitionOutbox(
  exec: SqlExecutor,
  id: string,
  fromStates: readonly OutboxState[],
  patch: OutboxPatch,
  now: Date,
): Promise<OutboxRow | null> {
  if (fromStates.length === 0) return null;
  const { set, params } = patchSql(patch, now);
  const rows = await exec.all<Row>(
    `UPDATE outbox SET ${set} WHERE id = ? AND state IN ${inList(fromStates.length)} RETURNING *`,
    [...params, id, ...fromStates],
  );
  return rows[0] ? toOutboxRow(rows[0]) : null;
}

/** The rows of one destination moved by an operator's patch from one of `fromStates`. */
export async function transitionDestination(
  exec: SqlExecutor,
  destinationId: string,
  fromStates: readonly OutboxState[],
  patch: OutboxPatch,
  now: Date,
): Promise<OutboxRow[]> {
  const { set, params } = patchSql(patch, now);
  const rows = await exec.all<Row>(
    `UPDATE outbox SET ${set} WHERE destination_id = ? AND state IN ${inList(fromStates.length)} RETURNING *`,
    [...params, destinationId, ...fromStates],
  );
  return rows.map(toOutboxRow).sort(byDeadline);
}

/** The states `leaseDue` takes rows from, as the SQL literal of migration 005's partial index. */
const LEASABLE = `(${[...DUE_STATES, ...LEASED_STATES].map((s) => `'${s}'`).join(', ')})`;

/**
 * The row-choosing part of {@link leaseDue}: the leasable rows (migration 005's index predicate,
 * written out as literals so that both planners can prove the partial index applies), of which
 * the due ones and the ones whose lease expired, in the index's order. Exported for the
 * query-plan tests.
 */
export function leaseCandidatesSql(dialect: SqlDialect): string {
  return `SELECT id FROM outbox ${dialect.indexedBy('outbox_lease')}
     WHERE state IN ${LEASABLE}
       AND ((state IN ${inList(DUE_STATES.length)} AND (next_attempt_at IS NULL OR next_attempt_at <= ?))
         OR (state IN ${inList(LEASED_STATES.length)} AND lease_until <= ?))
     ORDER BY (deadline IS NULL), deadline, created_at, id
     LIMIT ? ${dialect.leaseLockClause}`;
}

/**
 * Leases up to `limit` due rows with `patch` (the `leased` transition), earliest deadline first
 * (nulls last), then oldest: due rows, or leased rows whose lease expired (a crashed worker's row
 * is taken over). Walks migration 005's index from the front and stops after `limit` rows.
 */
export async function leaseDue(
  exec: SqlExecutor,
  dialect: SqlDialect,
  patch: OutboxPatch,
  now: Date,
  limit: number,
): Promise<OutboxRow[]> {
  const { set, params } = patchSql(patch, now);
  const rows = await exec.all<Row>(
    `UPDATE outbox SET ${set} WHERE id IN (${leaseCandidatesSql(dialect)}) RETURNING *`,
    [...params, ...leaseCandidateParams(now, limit)],
  );
  // RETURNING does not promise an order; the relay relies on earliest-deadline-first.
  return rows.map(toOutboxRow).sort(byDeadline);
}

/** The parameters of {@link leaseCandidatesSql}. */
export function leaseCandidateParams(now: Date, limit: number): SqlParam[] {
  return [...DUE_STATES, iso(now), ...LEASED_STATES, iso(now), limit];
}

/**
 * Applies a patch to a row only while `owner` holds its lease (null when the lease was lost);
 * `countAttempt` adds one to `attempts` in the same statement (a finished attempt).
 */
export async function updateLeased(
  exec: SqlExecutor,
  id: string,
  owner: string,
  patch: OutboxPatch,
  now: Date,
  { countAttempt = false } = {},
): Promise<OutboxRow | null> {
  const { set, params } = patchSql(patch, now);
  const rows = await exec.all<Row>(
    `UPDATE outbox SET ${set}${countAttempt ? ', attempts = attempts + 1' : ''}
     WHERE id = ? AND state IN ${inList(LEASED_STATES.length)} AND lease_owner = ? RETURNING *`,
    [...params, id, ...LEASED_STATES, owner],
  );
  return rows[0] ? toOutboxRow(rows[0]) : null;
}
