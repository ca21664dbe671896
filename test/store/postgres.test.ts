import { Client } from 'pg';
import { openPostgresStore, POSTGRES_DIALECT } from '../../src/adapters/store/postgres-store';
import { leaseCandidateParams, leaseCandidatesSql } from '../../src/adapters/store/sql/sql-outbox';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster';
import { killHard, spawnTsUntil } from '../support/spawn-ts';
import { runStoreContract, type StoreHarness } from './store-contract';
import path from 'node:path';
import { MIGRATIONS } from '../../src/adapters/store/migrations';

jest.setTimeout(120_000);

let cluster: PostgresCluster;
beforeAll(async () => {
  cluster = await startPostgresCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

runStoreContract('PostgreSQL', async (): Promise<StoreHarness> => {
  const url = await cluster.createDatabase();
  return {
    open: () => openPostgresStore(url),
    dispose: () => cluster.dropDatabase(url),
  };
});

describe('PostgreSQL store specifics', () => {
  test('two instances opening one empty database at once apply the migrations once', async () => {
    const url = await cluster.createDatabase();
    const stores = await Promise.all([
      openPostgresStore(url),
      openPostgresStore(url),
      openPostgresStore(url),
    ]);
    await Promise.all(stores.map((s) => s.close()));
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      expect((await c.query('SELECT version FROM schema_migrations')).rows).toEqual(
        MIGRATIONS.map((m) => ({ version: m.version })),
      );
    } finally {
      await c.end();
      await cluster.dropDatabase(url);
    }
  });

  test('two instances taking numbers of one counter at the same time never get the same number', async () => {
    const url = await cluster.createDatabase();
    const [one, two] = await Promise.all([openPostgresStore(url), openPostgresStore(url)]);
    try {
      const taken = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          (i % 2 === 0 ? one : two).transaction(async (tx) => {
            const n = await tx.nextInSequence('mrn', 0);
            await new Promise((r) => setTimeout(r, 2)); // hold the counter a moment, as an ingest does
            return n;
          }),
        ),
      );
      expect([...taken].sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    } finally {
      await Promise.all([one.close(), two.close()]);
      await cluster.dropDatabase(url);
    }
  });

  test('two instances appending versions of one record at once: every unit of work commits, versions 1…n', async () => {
    const url = await cluster.createDatabase();
    const [one, two] = await Promise.all([openPostgresStore(url), openPostgresStore(url)]);
    try {
      const stored = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 === 0 ? one : two).transaction(async (tx) => {
            const latest = await tx.getRecord('update', 'U-SAME');
            return tx.putRecord({
              kind: 'update',
              id: 'U-SAME',
              contentHash: `h${i}`,
              json: { after: latest?.version ?? 0 },
              patientMrn: 'KAP-000001',
              receivedAt: new Date('2026-11-20T18:00:00Z'),
            });
          }),
        ),
      );
      expect(stored.map((r) => r.version).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      // Serializable: each unit of work saw the version before its own.
      expect(stored.every((r) => (r.json as { after: number }).after === r.version - 1)).toBe(true);
    } finally {
      await Promise.all([one.close(), two.close()]);
      await cluster.dropDatabase(url);
    }
  });

  test('leasing among 20,000 queued rows walks the lease-order index: no sort of the due rows', async () => {
    const url = await cluster.createDatabase();
    await (await openPostgresStore(url)).close();
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(`INSERT INTO resources VALUES ('Communication', 'c', 1, '{}', 'KAP-000001', now())`);
      await c.query(`INSERT INTO outbox (id, item_key, destination_id, patient_mrn, recipient_npi,
          resource_type, resource_id, resource_version, state, deadline, created_at, updated_at)
        SELECT 'o' || n, 'k' || n, 'd', 'KAP-000001', '1', 'Communication', 'c', 1,
          CASE WHEN n % 10 = 0 THEN 'delivered' ELSE 'queued' END,
          CASE WHEN n % 7 = 0 THEN NULL ELSE now() + n * interval '1 minute' END, now(), now()
        FROM generate_series(1, 20000) AS n`);
      await c.query('ANALYZE outbox');
      let n = 0;
      const sql = leaseCandidatesSql(POSTGRES_DIALECT).replace(/\?/g, () => `$${++n}`);
      const params = leaseCandidateParams(new Date(), 50);
      const plan = (await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params)).rows
        .map((r) => r['QUERY PLAN'])
        .join('\n');
      expect(plan).toMatch(/Index Scan using outbox_lease/);
      expect(plan).not.toMatch(/Sort/);
    } finally {
      await c.end();
      await cluster.dropDatabase(url);
    }
  });

  test('a database from before migration 6 gets the client lookup columns of its referrals filled', async () => {
    const url = await cluster.createDatabase();
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(`CREATE TABLE schema_migrations (
        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      for (const m of MIGRATIONS.filter((x) => x.version < 6)) {
        await c.query(m.postgres);
        await c.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      }
      const client = { birthDate: '1986-04-12', referrerPatientId: { system: 'urn:s', value: 'P-7' } };
      for (const [kind, id] of [
        ['referral', 'REF-OLD'],
        ['consent', 'CON-OLD'],
      ]) {
        await c.query(`INSERT INTO records VALUES ($1, $2, 1, 'h', $3, 'KAP-000131', now())`, [
          kind,
          id,
          JSON.stringify({ id, client }),
        ]);
      }
    } finally {
      await c.end();
    }
    const store = await openPostgresStore(url);
    try {
      const ids = async (lookup: Parameters<typeof store.findReferrals>[0]) =>
        (await store.findReferrals(lookup)).map((r) => r.id);
      expect(await ids({ birthDate: '1986-04-12' })).toEqual(['REF-OLD']);
      expect(await ids({ referrerPatientId: { system: 'urn:s', value: 'P-7' } })).toEqual(['REF-OLD']);
      expect(await ids({ referrerPatientId: { system: 'urn:other', value: 'P-7' } })).toEqual([]);
    } finally {
      await store.close();
      await cluster.dropDatabase(url);
    }
  });

  test('a writer killed in the middle of a transaction leaves no record, resource or outbox row', async () => {
    const url = await cluster.createDatabase();
    const writer = path.join(__dirname, 'crash-writer.ts');
    await killHard(await spawnTsUntil(writer, [url, 'open'], 'IN-TRANSACTION'));
    const store = await openPostgresStore(url);
    try {
      expect(await store.getRecord('update', 'UPD-CRASH')).toBeNull();
      expect(await store.getResource('Communication', 'c-crash')).toBeNull();
      expect(await store.listOutbox()).toEqual([]);
    } finally {
      await store.close();
      await cluster.dropDatabase(url);
    }
  });
});
