import { Client } from 'pg';
import { openPostgresStore } from '../../src/adapters/store/postgres-store';
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
