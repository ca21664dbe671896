import { openPostgresStore } from '../../src/adapters/store/postgres-store';
import { openRelayHarness } from '../delivery/relay-harness';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster';
import { defineConsentLifecycleTests } from './consent-lifecycle-cases';

// The consent lifecycle rules (DESIGN.md §5) on PostgreSQL: the same tests as on SQLite, through
// the same store contract, with the relay and the sandbox.
jest.setTimeout(120_000);

let cluster: PostgresCluster;
beforeAll(async () => (cluster = await startPostgresCluster()));
afterAll(() => cluster?.stop());

describe('consent lifecycle on PostgreSQL', () => {
  defineConsentLifecycleTests(async () =>
    openRelayHarness({ store: await openPostgresStore(await cluster.createDatabase()) }),
  );
});
