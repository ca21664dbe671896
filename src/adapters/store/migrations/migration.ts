/**
 * A schema migration: one numbered step, with the DDL for each dialect. Migrations are applied at
 * open, in order, each in its own transaction, and recorded in `schema_migrations`, so opening an
 * up-to-date database changes nothing (idempotent). Never edit a released migration: add one.
 */
export interface Migration {
  version: number;
  name: string;
  sqlite: string;
  postgres: string;
}
