/**
 * The little a SQL store needs from a database driver. Both adapters (better-sqlite3, pg) provide
 * it, so that the queries — and therefore the behaviour the contract suite checks — are shared.
 *
 * SQL is written with `?` placeholders; the PostgreSQL executor numbers them (`$1`, `$2`, …).
 * Parameters may be strings, numbers, booleans, `Date`s or null; the executor converts them to
 * what its driver accepts.
 */
export interface SqlExecutor {
  /** Runs a query and returns its rows (column names as in the schema, snake_case). */
  all<R extends object>(sql: string, params?: readonly SqlParam[]): Promise<R[]>;
  /** Runs a statement and returns the number of rows it changed. */
  run(sql: string, params?: readonly SqlParam[]): Promise<number>;
}

export type SqlParam = string | number | boolean | Date | null;

/** Runs `fn` in one database transaction on one connection: commit on return, rollback on throw. */
export type TransactionRunner = <T>(fn: (exec: SqlExecutor) => Promise<T>) => Promise<T>;

/** The dialect differences the shared queries need to know about. */
export interface SqlDialect {
  name: 'sqlite' | 'postgres';
  /**
   * Appended to the row-selecting sub-query of `leaseDue`: PostgreSQL `FOR UPDATE SKIP LOCKED`
   * lets several instances lease from one outbox without waiting on each other; SQLite needs
   * nothing, because a write transaction already holds the database's single write lock.
   */
  leaseLockClause: string;
  /**
   * Pins a query to an index (SQLite `INDEXED BY`; nothing in PostgreSQL, whose planner uses
   * table statistics). Without statistics SQLite's planner guesses that an equality on `state`
   * is more selective than walking an index in ORDER BY order, and would sort every due row;
   * pinned, it walks the index — and fails loudly instead if the index could not be used.
   */
  indexedBy(index: string): string;
}
