import { randomUUID } from 'node:crypto';
import { leased, operatorReplay, operatorRetry } from '../../../outbox';
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
import { appendAudit } from './sql-audit';
import { first } from './sql-clauses';
import { opsInTransaction, SqlOps } from './sql-ops';
import { leaseDue, transitionDestination, updateLeased } from './sql-outbox';
import { iso, toAttempt, type Row } from './sql-rows';

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
    /**
     * The driver runs units of work one at a time in the order they are asked for (SQLite's one
     * connection): `transactionEach` may then ask for all at once, and units queued behind one
     * another share a COMMIT. Otherwise (a pool: PostgreSQL) it asks for one after the other.
     */
    private readonly unitsRunInOrder = false,
  ) {
    super(exec, (fn) => runTransaction((tx) => fn(opsInTransaction(tx, dialect))), dialect);
  }

  transaction<T>(fn: (tx: StoreOps) => Promise<T>): Promise<T> {
    return this.atomic((ops) => fn(ops));
  }

  async transactionEach<T>(
    fns: ReadonlyArray<(tx: StoreOps) => Promise<T>>,
  ): Promise<Array<PromiseSettledResult<T>>> {
    if (this.unitsRunInOrder) return Promise.allSettled(fns.map((fn) => this.transaction(fn)));
    const outcomes: Array<PromiseSettledResult<T>> = [];
    for (const fn of fns) {
      try {
        outcomes.push({ status: 'fulfilled', value: await this.transaction(fn) });
      } catch (reason) {
        outcomes.push({ status: 'rejected', reason });
      }
    }
    return outcomes;
  }

  durableTogether<T>(fn: () => Promise<T>): Promise<T> {
    return this.together(fn);
  }

  leaseDue(now: Date, limit: number, owner: string, leaseMs: number): Promise<OutboxRow[]> {
    const { patch } = leased(owner, new Date(now.getTime() + leaseMs));
    return leaseDue(this.exec, this.dialect, patch, now, limit);
  }

  updateOutboxState(id: string, owner: string, patch: OutboxPatch, now: Date): Promise<OutboxRow | null> {
    return updateLeased(this.exec, id, owner, patch, now);
  }

  completeAttempt(
    id: string,
    owner: string,
    attempt: NewDeliveryAttempt,
    patch: OutboxPatch,
    audit?: AttemptAudit,
  ): Promise<CompletedAttempt | null> {
    return this.runTransaction((tx) => completeLeased(tx, { id, owner, attempt, patch, audit }));
  }

  completeAttempts(entries: readonly AttemptCompletion[]): Promise<Array<CompletedAttempt | null>> {
    return this.runTransaction(async (tx) => {
      const done: Array<CompletedAttempt | null> = [];
      for (const entry of entries) done.push(await completeLeased(tx, entry));
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

  retryDestination(destinationId: string, now: Date): Promise<OutboxRow[]> {
    const { from, patch } = operatorRetry(now);
    return transitionDestination(this.exec, destinationId, from, patch, now);
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
  { id, owner, attempt, patch, audit }: AttemptCompletion,
): Promise<CompletedAttempt | null> {
  // `attempts` is counted here, never taken from the patch.
  const { attempts: _ignored, ...rest } = patch;
  const next = { leaseOwner: null, leaseUntil: null, ...rest };
  const row = await updateLeased(tx, id, owner, next, attempt.finishedAt, { countAttempt: true });
  if (!row) return null;
  const saved = await insertAttempt(tx, { ...attempt, outboxId: id });
  // The attempt and its AuditEvent commit together: no attempt without its audit entry.
  if (audit) await appendAudit(tx, audit(row), row.patientMrn);
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
