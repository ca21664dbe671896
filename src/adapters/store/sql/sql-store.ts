import { randomUUID } from 'node:crypto';
import { DUE_STATES, LEASED_STATES, leased, operatorReplay, operatorRetry } from '../../../outbox';
import {
  type DeliveryAttempt,
  type NewDeliveryAttempt,
  type OutboxPatch,
  type OutboxRow,
  type Store,
  type StoreOps,
  type AttemptAudit,
  type AttemptCompletion,
  type CompletedAttempt,
} from '../../../app/ports/store-port';
import type { SqlDialect, SqlExecutor, TransactionRunner } from './sql-executor';
import { first, inList, opsInTransaction, patchSql, SqlOps } from './sql-ops';
import { byDeadline, iso, toAttempt, toOutboxRow, type Row } from './sql-rows';

/**
 * The `Store` shared by the SQLite and PostgreSQL adapters: they supply a driver executor, a
 * transaction runner and the dialect; the behaviour — and the contract suite — is the same.
 */
export class SqlStore extends SqlOps implements Store {
  constructor(
    exec: SqlExecutor,
    private readonly runTransaction: TransactionRunner,
    dialect: SqlDialect,
    private readonly onClose: () => Promise<void>,
    /** The driver's batching of durability (`Store.durableTogether`); by default none is needed. */
    private readonly together: <T>(fn: () => Promise<T>) => Promise<T> = (fn) => fn(),
  ) {
    super(exec, (fn) => runTransaction((tx) => fn(opsInTransaction(tx, dialect))), dialect);
  }

  transaction<T>(fn: (tx: StoreOps) => Promise<T>): Promise<T> {
    return this.atomic((ops) => fn(ops));
  }

  durableTogether<T>(fn: () => Promise<T>): Promise<T> {
    return this.together(fn);
  }

  async leaseDue(now: Date, limit: number, owner: string, leaseMs: number): Promise<OutboxRow[]> {
    const { set, params } = patchSql(leased(owner, new Date(now.getTime() + leaseMs)).patch, now);
    // Due rows, or leased rows whose lease expired (a crashed worker's row is taken over).
    const rows = await this.exec.all<Row>(
      `UPDATE outbox SET ${set}
       WHERE id IN (
         SELECT id FROM outbox
         WHERE (state IN ${inList(DUE_STATES.length)} AND (next_attempt_at IS NULL OR next_attempt_at <= ?))
            OR (state IN ${inList(LEASED_STATES.length)} AND lease_until <= ?)
         ORDER BY deadline ASC NULLS LAST, created_at ASC, id ASC
         LIMIT ? ${this.dialect.leaseLockClause})
       RETURNING *`,
      [...params, ...DUE_STATES, iso(now), ...LEASED_STATES, iso(now), limit],
    );
    // RETURNING does not promise an order; the relay relies on earliest-deadline-first.
    return rows.map(toOutboxRow).sort(byDeadline);
  }

  async updateOutboxState(
    id: string,
    owner: string,
    patch: OutboxPatch,
    now: Date,
  ): Promise<OutboxRow | null> {
    const { set, params } = patchSql(patch, now);
    const rows = await this.exec.all<Row>(
      `UPDATE outbox SET ${set}
       WHERE id = ? AND state IN ${inList(LEASED_STATES.length)} AND lease_owner = ? RETURNING *`,
      [...params, id, ...LEASED_STATES, owner],
    );
    return rows[0] ? toOutboxRow(rows[0]) : null;
  }

  completeAttempt(
    id: string,
    owner: string,
    attempt: NewDeliveryAttempt,
    patch: OutboxPatch,
    audit?: AttemptAudit,
  ): Promise<CompletedAttempt | null> {
    return this.runTransaction((tx) =>
      completeLeased(tx, this.dialect, { id, owner, attempt, patch, audit }),
    );
  }

  completeAttempts(entries: readonly AttemptCompletion[]): Promise<Array<CompletedAttempt | null>> {
    return this.runTransaction(async (tx) => {
      const done: Array<CompletedAttempt | null> = [];
      for (const entry of entries) done.push(await completeLeased(tx, this.dialect, entry));
      return done;
    });
  }

  async listAttempts(outboxId: string): Promise<DeliveryAttempt[]> {
    const rows = await this.exec.all<Row>(
      'SELECT * FROM delivery_attempts WHERE outbox_id = ? ORDER BY attempt_no',
      [outboxId],
    );
    return rows.map(toAttempt);
  }

  retryOutbox(id: string, now: Date): Promise<OutboxRow | null> {
    const { from, patch } = operatorRetry(now);
    return this.transitionOutbox(id, from, patch, now);
  }

  async retryDestination(destinationId: string, now: Date): Promise<OutboxRow[]> {
    const { from, patch } = operatorRetry(now);
    const { set, params } = patchSql(patch, now);
    const rows = await this.exec.all<Row>(
      `UPDATE outbox SET ${set} WHERE destination_id = ? AND state IN ${inList(from.length)} RETURNING *`,
      [...params, destinationId, ...from],
    );
    return rows.map(toOutboxRow).sort(byDeadline);
  }

  replayOutbox(id: string, now: Date): Promise<OutboxRow | null> {
    const { from, patch } = operatorReplay(now);
    return this.transitionOutbox(id, from, patch, now);
  }

  close(): Promise<void> {
    return this.onClose();
  }
}

/** One attempt recorded and its row moved, inside the caller's transaction; null when the lease was lost. */
async function completeLeased(
  tx: SqlExecutor,
  dialect: SqlDialect,
  { id, owner, attempt, patch, audit }: AttemptCompletion,
): Promise<CompletedAttempt | null> {
  // `attempts` is counted here, never taken from the patch.
  const { attempts: _ignored, ...rest } = patch;
  const { set, params } = patchSql({ leaseOwner: null, leaseUntil: null, ...rest }, attempt.finishedAt);
  const rows = await tx.all<Row>(
    `UPDATE outbox SET ${set}, attempts = attempts + 1
     WHERE id = ? AND state IN ${inList(LEASED_STATES.length)} AND lease_owner = ? RETURNING *`,
    [...params, id, ...LEASED_STATES, owner],
  );
  if (!rows[0]) return null;
  const row = toOutboxRow(rows[0]);
  const saved = await insertAttempt(tx, { ...attempt, outboxId: id });
  // The attempt and its AuditEvent commit together: no attempt without its audit entry.
  if (audit) await opsInTransaction(tx, dialect).appendAudit(audit(row), row.patientMrn);
  return { row, attempt: saved };
}

async function insertAttempt(
  exec: SqlExecutor,
  a: NewDeliveryAttempt & { outboxId: string },
): Promise<DeliveryAttempt> {
  const rows = await exec.all<Row>(
    `INSERT INTO delivery_attempts (id, outbox_id, attempt_no, started_at, finished_at, http_status, result, outcome)
     SELECT ?, ?, COALESCE(MAX(attempt_no), 0) + 1, ?, ?, ?, ?, ? FROM delivery_attempts WHERE outbox_id = ?
     RETURNING *`,
    [
      randomUUID(),
      a.outboxId,
      iso(a.startedAt),
      iso(a.finishedAt),
      a.httpStatus,
      a.result,
      a.outcome ? JSON.stringify(a.outcome) : null,
      a.outboxId,
    ],
  );
  return toAttempt(first(rows));
}
