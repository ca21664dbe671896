import { openPostgresStore } from '../../src/adapters/store/postgres-store';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster';
import { openIngestHarness, type IngestHarness } from './ingest-harness';
import { runScenario, scenarios } from './ingest-scenario';

// The same ingest scenarios on PostgreSQL: records, versioned resources and outbox rows round-trip
// through jsonb / timestamptz exactly as through SQLite.
jest.setTimeout(120_000);

let cluster: PostgresCluster;
let h: IngestHarness;
let url: string;
beforeAll(async () => (cluster = await startPostgresCluster()));
afterAll(() => cluster?.stop());
beforeEach(async () => {
  url = await cluster.createDatabase();
  h = await openIngestHarness({ store: await openPostgresStore(url) });
});
afterEach(async () => {
  await h.dispose();
  await cluster.dropDatabase(url);
});

describe('ingest scenarios on PostgreSQL', () => {
  test.each(scenarios)('$situation', ({ steps }) => runScenario(h, steps));
});
