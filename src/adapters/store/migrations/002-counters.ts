import type { Migration } from './migration';

/**
 * Named counters handed out inside a transaction (the practice MRN sequence): the row is updated
 * — and so locked — by the transaction that takes a number, so two instances sharing one
 * PostgreSQL database never hand out the same one (DESIGN.md §7).
 */
export const migration002: Migration = {
  version: 2,
  name: 'counters',
  sqlite: `CREATE TABLE counters (name TEXT PRIMARY KEY, last INTEGER NOT NULL);`,
  postgres: `CREATE TABLE counters (name text PRIMARY KEY, last integer NOT NULL);`,
};
