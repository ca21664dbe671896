import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Bundle } from '@medplum/fhirtypes';
import request from 'supertest';
import { buildService, type BuiltService } from '../../src/bootstrap/service';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster';
import { MemoryLog } from './support/ports';

/**
 * `serve` on PostgreSQL (`DATABASE_URL=postgres://…`, DESIGN.md §7): the service built by the
 * real composition (`buildService`) on a throwaway cluster, the real validator, the built-in
 * sandbox as destination and the relay triggered by ingest — the README quick start, over HTTP.
 */
jest.setTimeout(120_000);

const RECORDS = path.join(__dirname, '../../fixtures/records');
const KEY = 'practice-ehr-key-0123456789abcdef';
const SID = 'https://kap-bridge.example/fhir/sid';
const auth = { Authorization: `Bearer ${KEY}` };
const record = (name: string) =>
  JSON.parse(fs.readFileSync(path.join(RECORDS, name), 'utf8')) as Record<string, unknown>;

let cluster: PostgresCluster;
let url: string;
let dir: string;
let svc: BuiltService;
const now = new Date('2026-11-25T10:00:00-08:00');

beforeAll(async () => {
  cluster = await startPostgresCluster();
  url = await cluster.createDatabase();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-service-pg-'));
  const keys = path.join(dir, 'keys.json');
  const scopes = ['ingest', 'validate', 'ops', 'audit'];
  fs.writeFileSync(keys, JSON.stringify([{ name: 'practice-ehr', key: KEY, scopes }]), { mode: 0o600 });
  svc = await buildService(
    { DATABASE_URL: url, KAP_BRIDGE_API_KEYS: keys, KAP_BRIDGE_DATA_DIR: path.join(dir, 'data') },
    { clock: () => now, logDestination: new MemoryLog() },
  );
});

afterAll(async () => {
  await svc?.close();
  if (url) await cluster.dropDatabase(url);
  await cluster?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const post = (at: string, body: unknown) =>
  request(svc.app)
    .post(at)
    .set(auth)
    .send(body as object);

async function onSandbox(type: string, system: string, value: string): Promise<unknown[]> {
  const q = encodeURIComponent(`${system}|${value}`);
  const res = await fetch(`${svc.sandbox!.url}/${type}?identifier=${q}`, {
    headers: { authorization: `Bearer ${svc.sandbox!.token}` },
  });
  return ((await res.json()) as Bundle).entry ?? [];
}

/** Polls until `ok` holds (the relay runs in the background) or 10 s pass. */
async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const until = Date.now() + 10_000;
  let value = await read();
  while (!ok(value) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    value = await read();
  }
  return value;
}

test('the store behind the service is the PostgreSQL database and /readyz says it answers', async () => {
  expect(svc.runtime.config.databaseUrl).toBe(url);
  const ready = await request(svc.app).get('/readyz');
  expect([ready.status, ready.body.checks]).toEqual([200, { store: 'ok', validator: 'ok' }]);
});

test('the same referral posted six times at once is stored once: one 201, five 200 (unchanged)', async () => {
  const answers = await Promise.all(
    Array.from({ length: 6 }, () => post('/referrals', record('referral-self.json'))),
  );
  expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
  expect(answers.map((a) => a.body.status as string).sort()).toEqual([
    'created',
    ...new Array(5).fill('unchanged'),
  ]);
  expect((await svc.runtime.store.getRecord('referral', 'REF-2026-0057'))?.version).toBe(1);
});

test('referral, partial consent and update over HTTP: the update reaches the built-in sandbox without a manual sync', async () => {
  expect((await post('/referrals', record('referral-self.json'))).status).toBe(200);
  expect((await post('/consents', record('consent-partial.json'))).status).toBe(201);
  const update = await post('/integration-updates', record('update-one-observation.json'));
  expect(update.status).toBe(201);
  expect(update.body.outbox[0]).toMatchObject({ state: 'queued', destinationId: 'sandbox' });
  const sent = await eventually(
    () => onSandbox('Communication', `${SID}/integration-update`, 'UPD-2026-0057-01'),
    (found) => found.length > 0,
  );
  expect(sent).toHaveLength(1);
  // The destination holds it a moment before the relay records the attempt: wait for the row,
  // and for nothing to be in flight, so the next test reads settled counts.
  const rows = await eventually(
    () => svc.runtime.store.listOutbox({}),
    (all) =>
      all.some((r) => r.resourceType === 'Communication' && r.state === 'delivered') &&
      all.every((r) => r.state !== 'in-flight'),
  );
  expect(rows.filter((r) => r.state === 'delivered').map((r) => r.resourceType)).toContain('Communication');
});

test('/metrics shows the outbox by state and the at-risk count, counted by PostgreSQL', async () => {
  const counts = await svc.runtime.store.countOutboxByState();
  const metrics = await request(svc.app).get('/metrics').set(auth);
  expect(metrics.status).toBe(200);
  for (const [state, n] of Object.entries(counts))
    expect(metrics.text).toContain(`kap_bridge_outbox_items{state="${state}"} ${n}`);
  expect(counts.delivered).toBeGreaterThan(0);
  expect(metrics.text).toMatch(/^kap_bridge_outbox_at_risk \d+$/m);
});
