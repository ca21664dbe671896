import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/adapters/store/sqlite-store';
import { killHard, spawnTsUntil } from '../support/spawn-ts';
import { runStoreContract, type StoreHarness } from './store-contract';
import { MIGRATIONS } from '../../src/adapters/store/migrations';
import { referralLookupSql } from '../../src/adapters/store/sql/sql-ops';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'kap-store-'));
}

runStoreContract('SQLite', async (): Promise<StoreHarness> => {
  const dir = tempDir();
  const file = path.join(dir, 'data', 'kap-bridge.db');
  return {
    open: async () => openSqliteStore(file),
    dispose: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
});

describe('SQLite store specifics', () => {
  let dir: string;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a new database gets a private directory (0700) and file (0600)', async () => {
    const file = path.join(dir, 'data', 'kap-bridge.db');
    const store = openSqliteStore(file);
    await store.close();
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  test('the connection runs in WAL mode with synchronous=FULL, foreign keys and a busy timeout', async () => {
    const store = openSqliteStore(path.join(dir, 'k.db'));
    try {
      expect(await store.pragma('journal_mode')).toBe('wal');
      expect(await store.pragma('synchronous')).toBe(2); // 2 = FULL: fsync at every commit
      expect(await store.pragma('foreign_keys')).toBe(1);
      expect(await store.pragma('busy_timeout')).toBe(5000);
    } finally {
      await store.close();
    }
  });

  test('opening an up-to-date database again applies no migration twice', async () => {
    const file = path.join(dir, 'k.db');
    await openSqliteStore(file).close();
    await openSqliteStore(file).close();
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare('SELECT version FROM schema_migrations').all()).toEqual(
        MIGRATIONS.map((m) => ({ version: m.version })),
      );
    } finally {
      db.close();
    }
  });

  test('client lookups by referrer patient id and birth date are answered from their indexes', async () => {
    const file = path.join(dir, 'k.db');
    await openSqliteStore(file).close();
    const dialect = { name: 'sqlite' as const, leaseLockClause: '' };
    const jsonText = (p: readonly string[]) => `json_extract(json, '$.${p.join('.')}')`;
    const db = new Database(file, { readonly: true });
    try {
      const plan = (lookup: Parameters<typeof referralLookupSql>[1]) => {
        const { cond, params } = referralLookupSql({ ...dialect, jsonText }, lookup);
        const sql = `EXPLAIN QUERY PLAN SELECT * FROM records r WHERE r.kind = 'referral' AND ${cond}`;
        return (db.prepare(sql).all(...params) as Array<{ detail: string }>).map((r) => r.detail).join('\n');
      };
      expect(plan({ birthDate: '1986-04-12' })).toMatch(/USING INDEX records_client_birth_date/);
      expect(plan({ referrerPatientId: { system: 's', value: 'v' } })).toMatch(
        /USING INDEX records_referrer_patient/,
      );
    } finally {
      db.close();
    }
  });

  test('a database from before migration 3 gets its MRN counter seeded with the highest MRN on file', async () => {
    const file = path.join(dir, 'k.db');
    const db = new Database(file);
    db.exec(
      `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`,
    );
    for (const m of MIGRATIONS.slice(0, 2)) {
      db.exec(m.sqlite);
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.name, 'then');
    }
    const insert = db.prepare(
      `INSERT INTO records VALUES (?, ?, 1, 'h', '{}', ?, '2026-11-01T00:00:00.000Z')`,
    );
    insert.run('referral', 'REF-1', 'KAP-000131');
    insert.run('consent', 'CON-1', 'KAP-000142');
    insert.run('referral', 'REF-2', 'KAP-12x');
    insert.run('referral', 'REF-3', null);
    db.close();
    const store = openSqliteStore(file);
    try {
      expect(await store.nextInSequence('mrn', 0)).toBe(143);
    } finally {
      await store.close();
    }
  });

  test('the audit trail refuses updates and deletes (append-only)', async () => {
    const file = path.join(dir, 'k.db');
    const store = openSqliteStore(file);
    await store.appendAudit(
      {
        resourceType: 'AuditEvent',
        id: 'a1',
        type: { code: 'x' },
        recorded: '2026-11-20T00:00:00Z',
        agent: [{ requestor: true }],
        source: { observer: {} },
      },
      null,
    );
    await store.close();
    const db = new Database(file);
    try {
      expect(() => db.prepare("UPDATE audit_events SET outcome = '8'").run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM audit_events').run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
  });
});

describe('SQLite store when the process dies', () => {
  const writer = path.join(__dirname, 'crash-writer.ts');
  let dir: string;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('killed in the middle of a transaction, it leaves no record, resource or outbox row', async () => {
    const url = `sqlite:${path.join(dir, 'k.db')}`;
    await killHard(await spawnTsUntil(writer, [url, 'open'], 'IN-TRANSACTION'));
    const store = openSqliteStore(path.join(dir, 'k.db'));
    try {
      expect(await store.getRecord('update', 'UPD-CRASH')).toBeNull();
      expect(await store.getResource('Communication', 'c-crash')).toBeNull();
      expect(await store.listOutbox()).toEqual([]);
    } finally {
      await store.close();
    }
  });

  test('killed right after a commit, everything the transaction wrote is there', async () => {
    const url = `sqlite:${path.join(dir, 'k.db')}`;
    await killHard(await spawnTsUntil(writer, [url, 'committed'], 'COMMITTED'));
    const store = openSqliteStore(path.join(dir, 'k.db'));
    try {
      expect(await store.getRecord('update', 'UPD-CRASH')).not.toBeNull();
      expect(await store.listOutbox()).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});
