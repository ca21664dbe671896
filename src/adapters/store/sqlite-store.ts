import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations';
import { FINISH_AFTER_PAGES, startCheckpointer, type Checkpointer } from './sqlite-checkpointer';
import { createTransactionGroups } from './sqlite-transaction-groups';
import type { SqlDialect, SqlExecutor, SqlParam, TransactionRunner } from './sql/sql-executor';
import { SqlStore } from './sql/sql-store';
import type { Store } from '../../app/ports/store-port';

/** The SQLite store, plus a read of the connection's settings (for diagnostics and tests). */
export type SqliteStore = Store & { pragma(name: string): Promise<unknown> };

export const SQLITE_DIALECT: SqlDialect = {
  name: 'sqlite',
  leaseLockClause: '',
  indexedBy: (index) => `INDEXED BY ${index}`,
};

/** At most this many units of work share one COMMIT (so that none waits long for its group). */
const MAX_UNITS_PER_COMMIT = 16;

export interface SqliteStoreOptions {
  /** How long a writer waits for another connection's write lock (ms). Default 5000. */
  busyTimeoutMs?: number;
  /** How often the checkpoint worker copies the WAL into the database file (ms). Default 100. */
  checkpointIntervalMs?: number;
}

/**
 * Opens (creating if needed) the SQLite store at `file` (or `:memory:`): WAL, group commit,
 * foreign keys on, a busy timeout, and every pending migration applied. A new database directory
 * is created with mode 0700 and the file with 0600: it holds PHI (45 CFR 164.312(a)).
 *
 * Durability (DESIGN.md §6: an acknowledged write is on disk): commits run with
 * `synchronous=NORMAL`, which in WAL mode writes the commit to the WAL without an fsync, and every
 * write is acknowledged — its promise resolved — only after an fsync of the WAL that started
 * after its COMMIT (group commit). Writers that commit while one fsync runs share the next one, so
 * concurrent ingests pay one fsync per group instead of one each (issue 12: one fsync per record
 * was most of ingest's time). Never before: a caller that was answered has its write on disk.
 * Checkpoints (copying the WAL into the database file) run on a worker thread, not in COMMIT
 * (sqlite-checkpointer.ts).
 */
export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): SqliteStore {
  if (file !== ':memory:') prepareFile(file);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  db.pragma('foreign_keys = ON');
  // A unit of work inside a shared COMMIT runs in a SAVEPOINT, whose statement journal (the pages
  // as they were, to roll back to) would otherwise be a temporary file: written page by page, it
  // cost about as much as the COMMITs it saved (profiled, issue 12). Sorts use memory too.
  db.pragma('temp_store = MEMORY');
  migrateSqlite(db);
  // Checkpoints run on a worker thread (sqlite-checkpointer.ts), started with the first write (a
  // process that only reads — `outbox list`, a start-up — starts no thread); this connection only
  // finishes one now and then.
  let checkpointer: Checkpointer | undefined;
  const written =
    file === ':memory:'
      ? () => undefined
      : () => {
          checkpointer ??= startCheckpointer(file, { intervalMs: options.checkpointIntervalMs ?? 100 });
        };
  if (file !== ':memory:') db.pragma(`wal_autocheckpoint = ${FINISH_AFTER_PAGES}`);

  const direct = sqliteExecutor(db);
  const groups = createTransactionGroups(db, MAX_UNITS_PER_COMMIT);
  const syncer = file === ':memory:' ? undefined : walSyncer(file);
  const durable = syncer ? createGroupSync(syncer.sync) : async () => undefined;
  // Inside `durableTogether`, writes skip their own wait: the batch waits once, at its end.
  const batched = new AsyncLocalStorage<true>();
  const settle = async (): Promise<void> => {
    written();
    if (!batched.getStore()) await durable();
  };
  const durableTogether = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (batched.getStore()) return fn();
    try {
      return await batched.run(true, fn);
    } finally {
      await durable();
    }
  };
  // One connection, used by async callers one at a time: a unit of work has the connection from
  // its start to its end, so no other caller's statement can slip into it (or be rolled back with
  // it); units waiting behind one another share a COMMIT (sqlite-transaction-groups.ts). A
  // statement that writes outside a transaction is its own commit: it too waits for the fsync.
  const single = async <R>(sql: string, fn: () => Promise<R>): Promise<R> => {
    const result = await groups.alone(fn);
    if (direct.writes(sql)) await settle();
    return result;
  };
  const locked: SqlExecutor = {
    all: <R extends object>(sql: string, params?: readonly SqlParam[]) =>
      single(sql, () => direct.all<R>(sql, params)),
    run: (sql, params) => single(sql, () => direct.run(sql, params)),
  };
  const runTransaction: TransactionRunner = async (fn) => {
    const result = await groups.unit(() => fn(direct));
    // After the connection is free: the next units run while this one's fsync is under way.
    await settle();
    return result;
  };
  const close = (): Promise<void> =>
    groups.alone(async () => {
      await checkpointer?.close();
      db.close();
      await syncer?.close();
    });
  const store = new SqlStore(locked, runTransaction, SQLITE_DIALECT, close, durableTogether, true);
  return Object.assign(store, {
    pragma: (name: string): Promise<unknown> => groups.alone(async () => db.pragma(name, { simple: true })),
  });
}

/**
 * fsync of the WAL, where committed transactions are until a checkpoint copies them into the
 * database file (a checkpoint fsyncs both, so with no WAL file the database file is synced). The
 * descriptor is kept between syncs (opening the file per commit showed in the profile): SQLite
 * keeps the WAL file while a connection is open — it resets and truncates it in place, and
 * deletes it only when the last connection closes, and this store's own connection is open until
 * `close`.
 */
function walSyncer(file: string): { sync: () => Promise<void>; close: () => Promise<void> } {
  let wal: fs.promises.FileHandle | undefined;
  const syncDatabaseFile = async (): Promise<void> => {
    const handle = await fs.promises.open(file, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  };
  return {
    async sync() {
      if (!wal) {
        try {
          wal = await fs.promises.open(`${file}-wal`, 'r');
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          return syncDatabaseFile();
        }
      }
      await wal.sync();
    },
    async close() {
      await wal?.close();
      wal = undefined;
    },
  };
}

/**
 * Group commit: `durable()` resolves after a `sync()` that started after the call. If none is
 * running it starts one at once; if one is running (it may have started before the caller's
 * commit) the caller joins the one queued behind it, shared by everyone arriving meanwhile.
 */
export function createGroupSync(sync: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  const start = (): Promise<void> => {
    const current: Promise<void> = sync().finally(() => {
      if (running === current) running = undefined;
    });
    running = current;
    return current;
  };
  return () => {
    if (!running) return start();
    queued ??= running
      .catch(() => undefined)
      .then(() => {
        queued = undefined;
        return start();
      });
    return queued;
  };
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

function sqliteExecutor(db: Database.Database): SqlExecutor & { writes(sql: string): boolean } {
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
    writes: (sql) => !prepare(sql).readonly,
  };
}

/** better-sqlite3 binds neither booleans nor Dates. */
function toSqlite(p: SqlParam): string | number | null {
  if (typeof p === 'boolean') return p ? 1 : 0;
  if (p instanceof Date) return p.toISOString();
  return p;
}
