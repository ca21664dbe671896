import { createBearerAuth } from '../../src/adapters/destination/auth';
import { createDestinationRegistry } from '../../src/adapters/destination/destinations';
import { createFhirGateway } from '../../src/adapters/destination/fhir-gateway';
import { createRelay, type Relay } from '../../src/app/deliver/relay';
import { openPostgresStore } from '../../src/adapters/store/postgres-store';
import type { Store } from '../../src/app/ports/store-port';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster';
import {
  openRelayHarness,
  record,
  sandboxSearch,
  TIME_ZONE,
  UPDATE_ID,
  validator,
  type RelayHarness,
} from './relay-harness';

jest.setTimeout(120_000);

let cluster: PostgresCluster;
let h: RelayHarness;
let second: Store;
beforeAll(async () => {
  cluster = await startPostgresCluster();
});
afterAll(async () => {
  await cluster?.stop();
});
beforeEach(async () => {
  const url = await cluster.createDatabase();
  h = await openRelayHarness({ store: await openPostgresStore(url) });
  second = await openPostgresStore(url);
});
afterEach(async () => {
  await second.close();
  await h.dispose();
});

/** A relay of another adapter instance: its own connection pool to the same outbox. */
function otherInstance(owner: string): Relay {
  return createRelay({
    store: second,
    gateway: createFhirGateway({
      http: h.http,
      authFor: () => createBearerAuth(h.sandbox.token),
      now: () => h.clock.now.getTime(),
    }),
    destinations: createDestinationRegistry([h.dest]),
    validator,
    clock: () => h.clock.now,
    random: () => 0.5,
    config: { leaseMs: 60_000, retryBaseMs: 2000, maxAttempts: 5, timeZone: TIME_ZONE, owner },
  });
}

async function referralConsentAndUpdates(n: number): Promise<void> {
  await h.run('referral', record('referral-clinician-full.json'), '2026-11-03T09:00:00-08:00');
  await h.run('consent', record('consent-client-full.json'), '2026-11-05T11:00:00-08:00');
  for (let i = 0; i < n; i++) {
    const day = String(10 + i).padStart(2, '0');
    await h.run(
      'update',
      record('update-all-observations.json', {
        id: `UPD-2026-0042-${day}`,
        sessionNumber: 10 + i,
        sessionDate: `2026-11-${day}`,
        writtenAt: `2026-11-${day}T18:40:00-08:00`,
      }),
      `2026-11-${day}T19:00:00-08:00`,
    );
  }
}

test('PostgreSQL: two adapter instances draining one outbox at once deliver every item exactly once', async () => {
  await referralConsentAndUpdates(6);
  h.clock.set('2026-11-16T08:00:00-08:00');
  const [a, b] = await Promise.all([
    h.relay({ concurrency: 2 }).drain({ limit: 2 }),
    otherInstance('instance-b').drain({ limit: 2 }),
  ]);
  expect(a.delivered + b.delivered).toBe(8); // 6 updates, the Consent, the ServiceRequest
  expect(a.lost + b.lost).toBe(0);
  expect(await sandboxSearch(h, 'Communication')).toHaveLength(6);
  const rows = await h.store.listOutbox({ patientMrn: 'KAP-000123' });
  expect(rows.map((r) => [r.state, r.attempts])).toEqual(rows.map(() => ['delivered', 1]));
});

test('PostgreSQL: a worker killed after its send loses the row at lease expiry to another instance, which finds it already there: one copy', async () => {
  await referralConsentAndUpdates(0);
  h.clock.set('2026-11-10T19:05:00-08:00');
  expect(await h.relay().drain()).toMatchObject({ delivered: 2 }); // Consent + ServiceRequest
  await h.run('update', record('update-all-observations.json'), '2026-11-20T19:00:00-08:00');
  const realGateway = createFhirGateway({
    http: h.http,
    authFor: () => createBearerAuth(h.sandbox.token),
    now: () => h.clock.now.getTime(),
  });
  // The worker dies once the send is done: its attempt never ends (a throw would not do — a
  // thrown attempt is recorded as a failed one, DESIGN.md §6).
  let sent!: () => void;
  const pushed = new Promise<void>((resolve) => (sent = resolve));
  const dying = createRelay({
    store: h.store,
    gateway: {
      push: async (dest, unit) => {
        await realGateway.push(dest, unit);
        sent();
        return new Promise<never>(() => undefined);
      },
    },
    destinations: createDestinationRegistry([h.dest]),
    validator,
    clock: () => h.clock.now,
    random: () => 0.5,
    config: { leaseMs: 60_000, retryBaseMs: 2000, maxAttempts: 5, timeZone: TIME_ZONE, owner: 'dying' },
  });
  void dying.runOnce();
  await pushed;
  h.clock.advance(30_000);
  expect(await otherInstance('instance-b').runOnce()).toMatchObject({ leased: 0 });
  h.clock.advance(30_000);
  expect(await otherInstance('instance-b').drain()).toMatchObject({ leased: 1, delivered: 1 });
  expect(await sandboxSearch(h, 'Communication', UPDATE_ID)).toHaveLength(1);
});
