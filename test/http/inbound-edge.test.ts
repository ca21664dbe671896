import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Bundle, OperationOutcome } from '@medplum/fhirtypes';
import request from 'supertest';
import { buildService, type BuiltService } from '../../src/bootstrap/service';
import { referralBatch } from '../app/inbound-batch';
import { databaseFingerprint } from '../app/ingest-harness';
import { MemoryLog } from './support/ports';

/**
 * The inbound edge over the real composition (`buildService`, SQLite in a temp folder, the real
 * validator): keys bound to sender organisations, the batch cap, and one large batch not holding
 * up `/healthz` (DESIGN.md §8 "Trust at the edge").
 */

jest.setTimeout(180_000);

const INBOUND = path.join(__dirname, '../../fixtures/inbound');
const NPI = 'http://hl7.org/fhir/sid/us-npi';
const LAKESIDE = { system: NPI, value: '1497758544' }; // the Organization of the inbound fixtures
const OTHER = { system: NPI, value: '1987654328' };
const KEYS = {
  unbound: 'unbound-key-0123456789abcdef',
  lakeside: 'lakeside-key-0123456789abcdef',
  other: 'other-org-key-0123456789abcdef',
};

let dir: string;
let db: string;
let svc: BuiltService;
const loadBundle = (file: string): Bundle =>
  JSON.parse(fs.readFileSync(path.join(INBOUND, file), 'utf8')) as Bundle;
const post = (url: string, key: string, body: unknown) =>
  request(svc.app)
    .post(url)
    .set('Authorization', `Bearer ${key}`)
    .set('Content-Type', 'application/fhir+json')
    .send(JSON.stringify(body));

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-inbound-edge-'));
  db = path.join(dir, 'kap.db');
  const keys = path.join(dir, 'keys.json');
  const entry = (name: string, key: string, senders?: object[]) => ({
    name,
    key,
    scopes: ['ingest'],
    ...(senders ? { senders } : {}),
  });
  fs.writeFileSync(
    keys,
    JSON.stringify([
      entry('unbound', KEYS.unbound),
      entry('lakeside', KEYS.lakeside, [LAKESIDE]),
      entry('other-org', KEYS.other, [OTHER]),
    ]),
    { mode: 0o600 },
  );
  svc = await buildService(
    {
      DATABASE_URL: `sqlite:${db}`,
      KAP_BRIDGE_API_KEYS: keys,
      KAP_BRIDGE_DATA_DIR: path.join(dir, 'data'),
      LOG_LEVEL: 'silent',
    },
    { logDestination: new MemoryLog() },
  );
}, 60_000);

afterAll(async () => {
  await svc?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('keys bound to sender organisations', () => {
  test.each([
    ['a transaction', '/fhir', 'transaction-referral.json'],
    ['a referral message', '/fhir/$process-message', 'message-bser-referral.json'],
  ])(
    '%s from another organisation than the key is bound to is refused 403 and nothing is stored',
    async (_kind, url, file) => {
      const before = databaseFingerprint(db);
      const res = await post(url, KEYS.other, loadBundle(file));
      expect(res.status).toBe(403);
      const oo = JSON.parse(res.text) as OperationOutcome;
      expect(oo.issue.map((i) => i.code)).toEqual(['forbidden']);
      expect(oo.issue[0]?.expression?.[0]).toMatch(/^Bundle\.entry\[\d+\]\.resource\.identifier$/);
      expect(databaseFingerprint(db)).toEqual(before);
    },
  );

  test('a referral from the organisation the key is bound to is stored', async () => {
    const res = await post('/fhir', KEYS.lakeside, loadBundle('transaction-referral.json'));
    expect(res.status).toBe(200);
    expect((JSON.parse(res.text) as Bundle).entry?.[0]?.response?.status).toMatch(/^20[01] /);
  });
});

describe('the inbound batch cap', () => {
  test('a batch of more than 200 entries is refused 413 (too-long) and nothing is stored', async () => {
    const batch = referralBatch(99); // 201 entries
    const before = databaseFingerprint(db);
    const res = await post('/fhir', KEYS.unbound, batch);
    expect(res.status).toBe(413);
    const oo = JSON.parse(res.text) as OperationOutcome;
    expect(oo.issue.map((i) => [i.code, i.expression])).toEqual([['too-long', ['Bundle.entry']]]);
    expect(databaseFingerprint(db)).toEqual(before);
  });
});

describe('one request never blocks the service', () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = http.createServer(svc.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  // DESIGN.md §8: /healthz keeps answering while a batch at the cap is processed. Many polls
  // answered during the batch prove the work yields; the latency bound is loose on purpose (the
  // old code blocked for 5–9 s; speed targets belong in the benchmark, and a loaded test machine
  // stretches any tight bound). The measured maximum is printed: 60–70 ms on an idle 2-core host.
  test('/healthz keeps answering all the while a 200-entry batch is processed', async () => {
    // Steady state: the validator is built on first use (seconds), which is start-up, not load.
    expect((await post('/fhir', KEYS.unbound, referralBatch(2, 'batch', 'W'))).status).toBe(200);
    const batch = referralBatch(98, 'batch', 'H'); // 199 entries
    let done = false;
    const posting = fetch(`${base}/fhir`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${KEYS.unbound}`, 'Content-Type': 'application/fhir+json' },
      body: JSON.stringify(batch),
    }).finally(() => (done = true));
    const latencies: number[] = [];
    while (!done) {
      const started = performance.now();
      const res = await fetch(`${base}/healthz`);
      await res.text();
      latencies.push(performance.now() - started);
      expect(res.status).toBe(200);
      await new Promise((r) => setTimeout(r, 5));
    }
    const res = await posting;
    expect(res.status).toBe(200);
    const created = ((await res.json()) as Bundle).entry?.filter((e) => e.response?.status === '201 Created');
    expect(created).toHaveLength(98);
    console.log(
      `healthz during a 199-entry batch: ${latencies.length} polls, max ${Math.max(...latencies).toFixed(1)} ms`,
    );
    expect(latencies.length).toBeGreaterThan(10);
    expect(Math.max(...latencies)).toBeLessThan(1000);
  });
});
