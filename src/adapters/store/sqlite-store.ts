import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations';
import type { SqlDialect, SqlExecutor, SqlParam, TransactionRunner } from './sql/sql-executor';
import { SqlStore } from './sql/sql-store';
import type { Store } from '../../app/ports/store-port';

/** The SQLite store, plus a read of the connection's settings (for diagnostics and tests). */
export type SqliteStore = Store & { pragma(name: string): Promise<unknown> };

const DIALECT: SqlDialect = {
  name: 'sqlite',
  leaseLockClause: '',
  jsonText: (path) => `json_extract(json, '$.${path.join('.')}')`,
};

export interface SqliteStoreOptions {
  /** How long a writer waits for another connection's write lock (ms). Default 5000. */
  busyTimeoutMs?: number;
}

/**
 * Opens (creating if needed) the SQLite store at `file` (or `:memory:`): WAL, `synchronous=FULL`
 * (an acknowledged commit has been fsynced — DESIGN.md §6), foreign keys on, a busy timeout, and
 * every pending migration applied. A new database directory is created with mode 0700 and the
 * file with 0600: it holds PHI (45 CFR 164.312(a)).
 */
export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): SqliteStore {
  if (file !== ':memory:') prepareFile(file);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  db.pragma('foreign_keys = ON');
  migrateSqlite(db);

  const direct = sqliteExecutor(db);
  const lock = createMutex();
  // One connection, used by async callers: a transaction holds the mutex from BEGIN to COMMIT so
  // no other caller's statement can slip into it (or be rolled back with it).
  const locked: SqlExecutor = {
    all: (sql, params) => lock(() => direct.all(sql, params)),
    run: (sql, params) => lock(() => direct.run(sql, params)),
  };
  const runTransaction: TransactionRunner = (fn) =>
    lock(async () => {
      // IMMEDIATE takes the write lock up front: no deadlock upgrading a read lock later.
      db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(direct);
        db.exec('COMMIT');
        return result;
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw err;
      }
    });
  const store = new SqlStore(locked, runTransaction, DIALECT, () => lock(async () => void db.close()));
  return Object.assign(store, {
    pragma: (name: string): Promise<unknown> => lock(async () => db.pragma(name, { simple: true })),
  });
}

function prepareFile(file: string): void {
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir)) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!fs.existsSync(file)) fs.closeSync(fs.openSync(file, 'a', 0o600));
}

/** Applies pending migrations, each in its own write transaction. */
function migrateSqlite(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  for (const m of MIGRATIONS) {
    db.transaction(() => {
      const done = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version);
      if (done) return;
      db.exec(m.sqlite);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        new Date().toISOString(),
      );
    }).immediate();
  }
}

function sqliteExecutor(db: Database.Database): SqlExecutor {
  const cache = new Map<string, Database.Statement>();
  const prepare = (sql: string): Database.Statement => {
    let stmt = cache.get(sql);
    if (!stmt) cache.set(sql, (stmt = db.prepare(sql)));
    return stmt;
  };
  return {
    all: async <R extends object>(sql: string, params: readonly SqlParam[] = []) =>
      prepare(sql).all(...params.map(toSqlite)) as R[],
    run: async (sql, params = []) => prepare(sql).run(...params.map(toSqlite)).changes,
  };
}

/** better-sqlite3 binds neither booleans nor Dates. */
function toSqlite(p: SqlParam): string | number | null {
  if (typeof p === 'boolean') return p ? 1 : 0;
  if (p instanceof Date) return p.toISOString();
  return p;
}

/** A FIFO async mutex: callers run one at a time, in arrival order. */
function createMutex(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}
