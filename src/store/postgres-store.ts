import { Pool, type PoolClient, type PoolConfig } from 'pg';
import { MIGRATIONS } from './migrations';
import type { SqlDialect, SqlExecutor, SqlParam, TransactionRunner } from './sql/sql-executor';
import { SqlStore } from './sql/sql-store';
import type { Store } from './store-port';

/**
 * `FOR UPDATE SKIP LOCKED`: concurrent relays (several adapter instances sharing one outbox,
 * DESIGN.md §7) each lease different rows without waiting on one another's locks.
 */
const DIALECT: SqlDialect = { name: 'postgres', leaseLockClause: 'FOR UPDATE SKIP LOCKED' };

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
  const runTransaction: TransactionRunner = async (fn) => {
    const client = await pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
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
  };
  return new SqlStore(poolExecutor(pool), runTransaction, DIALECT, () => pool.end());
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
