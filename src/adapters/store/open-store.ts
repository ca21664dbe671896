import path from 'node:path';
import { openSqliteStore } from './sqlite-store';
import type { Store } from '../../app/ports/store-port';

/** The default `DATABASE_URL` (DESIGN.md §8): a SQLite file under `./data/`. */
export const DEFAULT_DATABASE_URL = 'sqlite:./data/kap-bridge.db';

/**
 * Opens the store a `DATABASE_URL` names: `sqlite:PATH` (relative to the working directory, or
 * `sqlite::memory:`) or `postgres://…` / `postgresql://…`. Called only from the composition root.
 * Throws with a readable message for any other URL.
 */
export async function openStore(databaseUrl: string = DEFAULT_DATABASE_URL): Promise<Store> {
  const target = parseDatabaseUrl(databaseUrl);
  if (target.kind === 'sqlite') return openSqliteStore(target.file);
  // Loaded only for a PostgreSQL URL: `pg` costs about 40 ms of every SQLite start (issue 12).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- on demand, see above
  const postgres = require('./postgres-store') as typeof import('./postgres-store');
  return postgres.openPostgresStore(target.url);
}

export type DatabaseTarget = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

/** Parses a `DATABASE_URL` without opening anything (config validation uses it to fail fast). */
export function parseDatabaseUrl(databaseUrl: string): DatabaseTarget {
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return { kind: 'postgres', url: databaseUrl };
  if (databaseUrl.startsWith('sqlite:')) {
    const rest = databaseUrl.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (rest === '')
      throw new Error('DATABASE_URL "sqlite:" needs a file path, e.g. sqlite:./data/kap-bridge.db');
    return { kind: 'sqlite', file: rest === ':memory:' ? rest : path.resolve(rest) };
  }
  throw new Error('DATABASE_URL must start with sqlite: (e.g. sqlite:./data/kap-bridge.db) or postgres://');
}
