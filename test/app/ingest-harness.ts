import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createIngestUseCases, type IngestDeps, type IngestResult, type IngestUseCases } from '../../src/app';
import { loadProjectProfiles } from '../../src/adapters/fhir-packages/load-package';
import { createValidator } from '../../src/fhir/validator';
import { openSqliteStore } from '../../src/adapters/store/sqlite-store';
import type { Store } from '../../src/app/ports/store-port';

/** Real SQLite file in a temp dir + the real validator; the clock is set per step. */
export interface IngestHarness {
  store: Store;
  ingest: IngestUseCases;
  file: string;
  setNow(iso: string): void;
  run(kind: string, input: unknown): Promise<IngestResult>;
  dispose(): Promise<void>;
}

const RECORDS = path.join(__dirname, '../../fixtures/records');
export const validator = createValidator({ packages: loadProjectProfiles() });

/** A fixture record, with top-level fields replaced by `patch` (LONG_TEXT → a 1,500-char text). */
export function loadRecord(file: string, patch?: Record<string, unknown>): unknown {
  const base = JSON.parse(fs.readFileSync(path.join(RECORDS, file), 'utf8')) as Record<string, unknown>;
  const fixed = Object.fromEntries(
    Object.entries(patch ?? {}).map(([k, v]) => [
      k,
      v === 'LONG_TEXT' ? 'The client talked at length. '.repeat(55) : v,
    ]),
  );
  return { ...base, ...fixed };
}

/** `over.store` replaces the SQLite file (e.g. a PostgreSQL store); it is closed by `dispose`. */
export async function openIngestHarness(over: Partial<IngestDeps> = {}): Promise<IngestHarness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-ingest-'));
  const file = path.join(dir, 'kap-bridge.db');
  const store = over.store ?? openSqliteStore(file);
  let now = new Date('2026-11-03T17:00:00Z');
  const deps: IngestDeps = {
    validator,
    clock: () => now,
    timeZone: 'America/Los_Angeles',
    defaultDestinationId: 'default-dest',
    ...over,
    store,
  };
  const ingest = createIngestUseCases(deps);
  return {
    store,
    ingest,
    file,
    setNow: (iso) => (now = new Date(iso)),
    run: (kind, input) => {
      const fn = (ingest as unknown as Record<string, (i: unknown) => Promise<IngestResult>>)[kind];
      if (!fn) throw new Error(`no ingest use case ${kind}`);
      return fn(input);
    },
    dispose: async () => {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Row count and content hash of every table, read through a second connection to the file. */
export function databaseFingerprint(file: string): Record<string, { rows: number; sha256: string }> {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all() as Array<{ name: string }>;
    return Object.fromEntries(
      tables.map(({ name }) => {
        const rows = db.prepare(`SELECT * FROM "${name}" ORDER BY 1, 2`).all();
        const sha256 = createHash('sha256').update(JSON.stringify(rows)).digest('hex');
        return [name, { rows: rows.length, sha256 }];
      }),
    );
  } finally {
    db.close();
  }
}
