import type { Task } from '@medplum/fhirtypes';
import { openPostgresStore } from '../../src/adapters/store/postgres-store';
import { createReplyUseCases } from '../../src/app/replies';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster';
import {
  openRelayHarness,
  record,
  sandboxSearch,
  TIME_ZONE,
  validator,
  type RelayHarness,
} from './relay-harness';

/**
 * The loop with the referrer (DESIGN.md §6b) on PostgreSQL: referral status records, the Task's
 * versions and the replies round-trip through jsonb / timestamptz as through SQLite — a status
 * change reaches the sandbox as a Task, a pushed reply is stored once and listed per referral.
 */
jest.setTimeout(120_000);

let cluster: PostgresCluster;
let url: string;
let h: RelayHarness;
beforeAll(async () => (cluster = await startPostgresCluster()));
afterAll(() => cluster?.stop());
beforeEach(async () => {
  url = await cluster.createDatabase();
  h = await openRelayHarness({ store: await openPostgresStore(url) });
});
afterEach(async () => {
  await h.dispose();
  await cluster.dropDatabase(url);
});

test('on PostgreSQL, a declined referral reaches the sandbox as a rejected Task with its reason, and a pushed reply is stored once and listed with the status', async () => {
  await h.run('referral', record('referral-clinician-full.json'), '2026-11-03T09:00:00-08:00');
  await h.run('consent', record('consent-client-full.json'), '2026-11-05T11:00:00-08:00');
  const declined = record('referral-status-declined.json', { at: '2026-11-06T09:00:00-08:00' });
  await h.run('referralStatus', declined, '2026-11-06T09:01:00-08:00');
  expect((await h.relay().drain()).dead).toBe(0);
  const tasks = (await sandboxSearch(h, 'Task')) as unknown as Task[];
  expect(tasks.map((t) => [t.status, t.statusReason?.text])).toEqual([
    ['rejected', (declined as { reason: string }).reason],
  ]);

  const replies = createReplyUseCases({
    store: h.store,
    validator,
    clock: () => h.clock.now,
    timeZone: TIME_ZONE,
    defaultDestinationId: 'lakeside-ehr',
  });
  const reply = {
    resourceType: 'Communication',
    identifier: [{ system: 'https://ehr.lakeside.example/messages', value: 'M-1' }],
    status: 'completed',
    partOf: [
      { identifier: { system: 'https://kap-bridge.example/fhir/sid/referral-task', value: 'REF-2026-0042' } },
    ],
    sent: '2026-11-06T12:00:00-08:00',
    payload: [{ contentString: 'Understood, I will refer her closer to home.' }],
  };
  const origin = {
    channel: 'push' as const,
    keyName: 'lakeside',
    senders: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '1497758544' }],
  };
  expect((await replies.receive(reply, origin)).status).toBe('created');
  expect((await replies.receive(reply, origin)).status).toBe('unchanged');
  const view = await replies.messages('REF-2026-0042', 'test');
  expect(view).toMatchObject({
    referral: 'REF-2026-0042',
    statuses: [{ status: 'declined', at: '2026-11-06T09:00:00-08:00' }],
    replies: [
      {
        text: 'Understood, I will refer her closer to home.',
        via: 'push',
        inReplyTo: { kind: 'referral', id: 'REF-2026-0042' },
        handled: false,
      },
    ],
  });
});
