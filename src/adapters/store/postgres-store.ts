import { Pool, type PoolClient, type PoolConfig } from 'pg';
import { MIGRATIONS } from './migrations';
import type { SqlDialect, SqlExecutor, SqlParam, TransactionRunner } from './sql/sql-executor';
import { SqlStore } from './sql/sql-store';
import type { Store } from '../../app/ports/store-port';

/**
 * `FOR UPDATE SKIP LOCKED`: concurrent relays (several adapter instances sharing one outbox,
 * DESIGN.md §7) each lease different rows without waiting on one another's locks.
 */
export const POSTGRES_DIALECT: SqlDialect = {
  name: 'postgres',
  leaseLockClause: 'FOR UPDATE SKIP LOCKED',
  indexedBy: () => '',
};

/** Arbitrary constant key: serialises migrations when several instances start together. */
const MIGRATION_LOCK_KEY = 74_425_001;

/**
 * Opens the PostgreSQL store on a `pg` Pool and applies pending migrations. Each write is
 * committed before the call resolves; PostgreSQL's default `synchronous_commit = on` makes that
 * commit durable (WAL fsynced), as DESIGN.md §6 requires.
 */
export async function openPostgresStore(config: PoolConfig | string): Promise<Store> {
  const pool = new Pool(typeof config === 'string' ? { connectionString: config } : config);
  // An idle client losing its connection (e.g. server restart) must not crash the process.
  pool.on('error', () => undefined);
  try {
    await migratePostgres(pool);
  } catch (err) {
    await pool.end();
    throw err;
  }
  const runTransaction: TransactionRunner = (fn) => retryOnConflict(() => runOnce(pool, fn));
  return new SqlStore(poolExecutor(pool), runTransaction, POSTGRES_DIALECT, () => pool.end());
}

/**
 * SQLSTATEs after which a whole transaction is run again: `40001` serialization_failure (a
 * concurrent transaction made this one's reads stale), `40P01` deadlock_detected, and `23505`
 * unique_violation — two instances inserting the same key (the same record id arriving at both,
 * a first version of a shared resource) when PostgreSQL reports it as such rather than as 40001.
 * Run again, the transaction reads what the other committed (`unchanged`, or the next version).
 */
const CONFLICT_CODES = new Set(['40001', '40P01', '23505']);
const MAX_TRIES = 12;

/**
 * One unit of work at SERIALIZABLE isolation (PostgreSQL §13.2.3): every ingest reads, decides
 * and writes (latest version + 1, the next MRN, "same content → no-op"); serializable makes two
 * instances doing that at once behave as if one ran after the other, or fail one of them with
 * 40001 — which {@link retryOnConflict} then runs again.
 */
async function runOnce<T>(pool: Pool, fn: (exec: SqlExecutor) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
    const result = await fn(clientExecutor(client));
    await client.query('COMMIT');
    return result;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch {
      broken = true; // connection lost mid-transaction: the server rolls back by itself
    }
    throw err;
  } finally {
    client.release(broken);
  }
}

/**
 * Runs `attempt` again after a conflict with a concurrent transaction, with full-jitter backoff
 * (so colliding instances do not collide again in lockstep); other errors, and a conflict that
 * persists after {@link MAX_TRIES} runs, are thrown.
 */
async function retryOnConflict<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (err) {
      if (tries >= MAX_TRIES || !isConflict(err)) throw err;
      const capMs = Math.min(200, 5 * 2 ** tries);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * capMs));
    }
  }
}

function isConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CONFLICT_CODES.has(code);
}

async function migratePostgres(pool: Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(done.rows.map((r) => r.version));
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      await client.query(m.postgres);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        m.version,
        m.name,
      ]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** `?` → `$1, $2, …` (the shared SQL never has a `?` inside a literal). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

type Queryable = Pick<Pool, 'query'> | PoolClient;

function executor(q: Queryable): SqlExecutor {
  const cache = new Map<string, string>();
  const text = (sql: string): string => {
    let t = cache.get(sql);
    if (t === undefined) cache.set(sql, (t = numbered(sql)));
    return t;
  };
  return {
    all: async <R extends object>(sql: string, params: readonly SqlParam[] = []) =>
      (await q.query(text(sql), [...params])).rows as R[],
    run: async (sql, params = []) => (await q.query(text(sql), [...params])).rowCount ?? 0,
  };
}

const poolExecutor = (pool: Pool): SqlExecutor => executor(pool);
const clientExecutor = (client: PoolClient): SqlExecutor => executor(client);
