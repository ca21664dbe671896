import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createGroupSync, openSqliteStore, SQLITE_DIALECT } from '../../src/adapters/store/sqlite-store';
import { killHard, spawnTsUntil } from '../support/spawn-ts';
import { runStoreContract, type StoreHarness } from './store-contract';
import { MIGRATIONS } from '../../src/adapters/store/migrations';
import { referralLookupSql } from '../../src/adapters/store/sql/sql-records';
import { leaseCandidateParams, leaseCandidatesSql } from '../../src/adapters/store/sql/sql-outbox';

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

  test('the connection runs in WAL mode with synchronous=NORMAL (group commit syncs), foreign keys and a busy timeout', async () => {
    const store = openSqliteStore(path.join(dir, 'k.db'));
    try {
      expect(await store.pragma('journal_mode')).toBe('wal');
      // 1 = NORMAL: COMMIT does not fsync; the store acknowledges after its own shared fsync.
      expect(await store.pragma('synchronous')).toBe(1);
      expect(await store.pragma('foreign_keys')).toBe(1);
      expect(await store.pragma('busy_timeout')).toBe(5000);
      expect(await store.pragma('temp_store')).toBe(2); // MEMORY: savepoint journals stay in memory
      // The checkpoint worker checkpoints; the connection itself only finishes one now and then.
      expect(await store.pragma('wal_autocheckpoint')).toBe(10_000);
    } finally {
      await store.close();
    }
  });

  test('committed pages reach the database file through the checkpoint worker, not the commits', async () => {
    const file = path.join(dir, 'k.db');
    const store = openSqliteStore(file, { checkpointIntervalMs: 20 });
    try {
      const before = fs.statSync(file).size;
      for (let i = 0; i < 100; i++) {
        await store.transaction((tx) =>
          tx.putRecord({
            kind: 'update',
            id: `U-${i}`,
            contentHash: 'h',
            json: { id: `U-${i}`, text: 'x'.repeat(2000) },
            patientMrn: 'KAP-000001',
            receivedAt: new Date('2026-11-20T18:00:00Z'),
          }),
        );
      }
      // 100 records of 2 KB are far below the connection's own threshold of 10,000 pages.
      for (let waited = 0; fs.statSync(file).size <= before + 100 * 2000 && waited < 5000; waited += 20) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(fs.statSync(file).size).toBeGreaterThan(before + 100 * 2000);
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
    const db = new Database(file, { readonly: true });
    try {
      const plan = (lookup: Parameters<typeof referralLookupSql>[0]) => {
        const { cond, params } = referralLookupSql(lookup);
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

  test('leasing walks the lease-order index from the front: no sort of the due rows', async () => {
    const file = path.join(dir, 'k.db');
    await openSqliteStore(file).close();
    const db = new Database(file, { readonly: true });
    try {
      const sql = `EXPLAIN QUERY PLAN ${leaseCandidatesSql(SQLITE_DIALECT)}`;
      const params = leaseCandidateParams(new Date('2026-11-21T04:00:00Z'), 50);
      const plan = (db.prepare(sql).all(...params) as Array<{ detail: string }>).map((r) => r.detail);
      expect(plan.join('\n')).toMatch(/SCAN outbox USING INDEX outbox_lease/);
      expect(plan.join('\n')).not.toMatch(/TEMP B-TREE/);
    } finally {
      db.close();
    }
  });

  test('a database from before migration 6 gets the client lookup columns of its referrals filled', async () => {
    const file = path.join(dir, 'k.db');
    const db = new Database(file);
    db.exec(
      `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`,
    );
    for (const m of MIGRATIONS.filter((x) => x.version < 6)) {
      db.exec(m.sqlite);
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.name, 'then');
    }
    const client = { birthDate: '1986-04-12', referrerPatientId: { system: 'urn:s', value: 'P-7' } };
    const insert = db.prepare(`INSERT INTO records VALUES (?, ?, 1, 'h', ?, ?, '2026-11-01T00:00:00.000Z')`);
    insert.run('referral', 'REF-OLD', JSON.stringify({ id: 'REF-OLD', client }), 'KAP-000131');
    insert.run('consent', 'CON-OLD', JSON.stringify({ id: 'CON-OLD', client }), 'KAP-000131');
    db.close();
    const store = openSqliteStore(file);
    try {
      const ids = async (lookup: Parameters<typeof store.findReferrals>[0]) =>
        (await store.findReferrals(lookup)).map((r) => r.id);
      expect(await ids({ birthDate: '1986-04-12' })).toEqual(['REF-OLD']);
      expect(await ids({ referrerPatientId: { system: 'urn:s', value: 'P-7' } })).toEqual(['REF-OLD']);
      expect(await ids({ referrerPatientId: { system: 'urn:other', value: 'P-7' } })).toEqual([]);
    } finally {
      await store.close();
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

describe('group commit', () => {
  /** A sync the test finishes by hand, recording when each one started. */
  function manualSync() {
    const started: number[] = [];
    const finish: Array<() => void> = [];
    let clock = 0;
    const sync = () =>
      new Promise<void>((resolve) => {
        started.push(clock);
        finish.push(resolve);
      });
    return { sync, started, finish, tick: () => ++clock };
  }

  test('a caller is answered only after a sync that started after its call; callers meanwhile share one', async () => {
    const m = manualSync();
    const durable = createGroupSync(m.sync);
    const answered: string[] = [];
    void durable().then(() => answered.push('a'));
    m.tick();
    void durable().then(() => answered.push('b'));
    void durable().then(() => answered.push('c'));
    expect(m.started).toEqual([0]); // b and c wait: the running sync may predate their commits
    m.finish[0]?.();
    await new Promise((r) => setImmediate(r));
    expect(answered).toEqual(['a']);
    expect(m.started).toEqual([0, 1]); // one sync for both b and c, started after their calls
    m.finish[1]?.();
    await new Promise((r) => setImmediate(r));
    expect(answered).toEqual(['a', 'b', 'c']);
  });

  test('a failed sync fails its callers, and the next caller gets a new sync', async () => {
    let calls = 0;
    const durable = createGroupSync(async () => {
      calls++;
      if (calls === 1) throw new Error('EIO');
    });
    await expect(durable()).rejects.toThrow('EIO');
    await expect(durable()).resolves.toBeUndefined();
    expect(calls).toBe(2);
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

  test('killed while many writers commit together, every write it acknowledged is in the file', async () => {
    const file = path.join(dir, 'k.db');
    const child = await spawnTsUntil(path.join(__dirname, 'group-commit-writer.ts'), [file], 'ACK ');
    const acked: string[] = [];
    let buffered = '';
    child.stdout?.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('ACK ')) acked.push(line.slice(4));
    });
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (acked.length < 200) return;
        clearInterval(poll);
        resolve();
      }, 5);
    });
    await killHard(child);
    const store = openSqliteStore(file);
    try {
      const stored = new Set((await store.listRecords({ kind: 'update' })).map((r) => r.id));
      expect(acked.length).toBeGreaterThanOrEqual(200);
      expect(acked.filter((id) => !stored.has(id))).toEqual([]);
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
