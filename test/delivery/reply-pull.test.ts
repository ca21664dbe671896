import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Bundle, Communication, Resource } from '@medplum/fhirtypes';
import request from 'supertest';
import { buildService, type BuiltService } from '../../src/bootstrap/service';
import { startFaultProxy, startSandbox, type FaultProxy, type Sandbox } from '../../src/sandbox';
import { MemoryLog } from '../http/support/ports';

/**
 * Replies pulled from the clinician's server (DESIGN.md §6b), on the real service: a destinations
 * file with `"pullReplies": true` pointing at the sandbox behind the fault proxy, SQLite on disk.
 * A reply written on the sandbox arrives exactly once — after several syncs, and after the service
 * is restarted on the same database file; `next` links are followed under the base URL only.
 */

const RECORDS = path.join(__dirname, '../../fixtures/records');
const SID = 'https://kap-bridge.example/fhir/sid';
const KEY = 'practice-ehr-key-0123456789abcdef';
const auth = { Authorization: `Bearer ${KEY}` };

let dir: string;
let sandbox: Sandbox;
let proxy: FaultProxy;
let svc: BuiltService;
let env: Record<string, string>;
const clock = () => new Date('2026-11-25T10:00:00-08:00');

const record = (name: string) => JSON.parse(fs.readFileSync(path.join(RECORDS, name), 'utf8')) as object;

async function start(): Promise<BuiltService> {
  const built = await buildService(env, { clock, logDestination: new MemoryLog() });
  built.trigger.stop(); // syncs run when the test ticks, so each is counted
  return built;
}

async function onSandbox<T extends Resource>(query: string): Promise<T[]> {
  const res = await fetch(`${sandbox.url}/${query}`, {
    headers: { authorization: `Bearer ${sandbox.token}` },
  });
  return (((await res.json()) as Bundle).entry ?? []).map((e) => e.resource as T);
}

/** Writes a Communication on the sandbox as the clinician's EHR would. */
async function writeOnSandbox(resource: Communication): Promise<Communication> {
  const res = await fetch(`${sandbox.url}/Communication`, {
    method: 'POST',
    headers: { authorization: `Bearer ${sandbox.token}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify(resource),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Communication;
}

const replies = async () =>
  (
    (await request(svc.app).get('/referrals/REF-2026-0042/messages').set(auth)).body as {
      replies: Array<{ text: string; via: string; inReplyTo: unknown }>;
    }
  ).replies;

let practiceOrg: string;
let updateOnSandbox: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-pull-'));
  sandbox = await startSandbox();
  proxy = await startFaultProxy({ target: sandbox.url });
  const keys = path.join(dir, 'keys.json');
  fs.writeFileSync(
    keys,
    JSON.stringify([{ name: 'practice-ehr', key: KEY, scopes: ['ingest', 'ops', 'audit'] }]),
    {
      mode: 0o600,
    },
  );
  const destinations = path.join(dir, 'destinations.json');
  fs.writeFileSync(
    destinations,
    JSON.stringify([
      {
        id: 'lakeside-ehr',
        baseUrl: proxy.url,
        auth: { type: 'bearer', tokenEnv: 'LAKESIDE_TOKEN' },
        allowInsecure: true,
        allowPrivateNetwork: true,
        pullReplies: true,
      },
    ]),
  );
  env = {
    DATABASE_URL: `sqlite:${path.join(dir, 'kap.db')}`,
    KAP_BRIDGE_API_KEYS: keys,
    KAP_BRIDGE_DATA_DIR: path.join(dir, 'data'),
    KAP_BRIDGE_DESTINATIONS: destinations,
    KAP_BRIDGE_DEFAULT_DESTINATION: 'lakeside-ehr',
    LAKESIDE_TOKEN: sandbox.token,
    LOG_LEVEL: 'silent',
  };
  svc = await start();
  for (const [url, file] of [
    ['/referrals', 'referral-clinician-full.json'],
    ['/consents', 'consent-client-full.json'],
    ['/integration-updates', 'update-all-observations.json'],
  ] as const) {
    expect((await request(svc.app).post(url).set(auth).send(record(file))).status).toBe(201);
  }
  expect(await svc.scheduler.tick()).toMatchObject({ kind: 'completed', result: { delivered: 3, dead: 0 } });
  const orgs = await onSandbox(
    `Organization?identifier=${encodeURIComponent(`${SID}/organization|kap-practice`)}`,
  );
  practiceOrg = `Organization/${String(orgs[0]?.id)}`;
  const updates = await onSandbox(
    `Communication?identifier=${encodeURIComponent(`${SID}/integration-update|UPD-2026-0042-03`)}`,
  );
  updateOnSandbox = `Communication/${String(updates[0]?.id)}`;
}, 60_000);

afterAll(async () => {
  await svc?.close();
  await proxy?.close();
  await sandbox?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function replyTo(
  target: Communication['inResponseTo'],
  text: string,
  extra: Partial<Communication> = {},
): Communication {
  return {
    resourceType: 'Communication',
    status: 'completed',
    recipient: [{ reference: practiceOrg }],
    sender: { display: 'Jordan Lee, LMFT' },
    ...(target ? { inResponseTo: target } : {}),
    payload: [{ contentString: text }],
    ...extra,
  };
}

test('a reply written on the sandbox arrives exactly once by pull, linked to the update it answers, even after several syncs and a restart on the same SQLite file', async () => {
  await writeOnSandbox(
    replyTo([{ reference: updateOnSandbox }], 'Thanks — noted the body scan.', {
      sent: '2026-11-25T09:00:00-08:00',
    }),
  );
  await writeOnSandbox(
    replyTo(undefined, 'Glad you took the referral.', {
      sent: '2026-11-25T09:05:00-08:00',
      partOf: [{ identifier: { system: `${SID}/referral`, value: 'REF-2026-0042' } }],
    }),
  );
  for (let i = 0; i < 3; i++) expect((await svc.scheduler.tick()).kind).toBe('completed');
  let got = await replies();
  expect(got.map((r) => [r.text, r.via, r.inReplyTo])).toEqual([
    ['Thanks — noted the body scan.', 'pull', { kind: 'update', id: 'UPD-2026-0042-03' }],
    ['Glad you took the referral.', 'pull', { kind: 'referral', id: 'REF-2026-0042' }],
  ]);
  // Later pulls ask only for what is newer than the stored watermark.
  const searches = proxy.requests.filter(
    (r) => r.method === 'GET' && r.path.includes('/Communication?recipient='),
  );
  expect(searches.length).toBeGreaterThanOrEqual(3);
  expect(searches.at(-1)?.path).toContain('_lastUpdated=gt');

  await svc.close();
  svc = await start();
  expect((await svc.scheduler.tick()).kind).toBe('completed');
  expect(await replies()).toHaveLength(2);
  await writeOnSandbox(
    replyTo([{ reference: updateOnSandbox }], 'One more question about dosing days.', {
      sent: '2026-11-25T09:30:00-08:00',
    }),
  );
  expect((await svc.scheduler.tick()).kind).toBe('completed');
  got = await replies();
  expect(got.map((r) => r.text)).toEqual([
    'Thanks — noted the body scan.',
    'Glad you took the referral.',
    'One more question about dosing days.',
  ]);
  // Received PHI is never re-disclosed: nothing of it was queued.
  const rows = await svc.runtime.store.listOutbox({});
  expect(rows.map((r) => r.resourceType).sort()).toEqual(['Communication', 'Consent', 'ServiceRequest']);
});

test('a next link under the base URL is followed to the last page; one pointing elsewhere stops the pull and keeps the watermark', async () => {
  const paged = replyTo(
    [
      {
        type: 'Communication',
        identifier: { system: `${SID}/integration-update`, value: 'UPD-2026-0042-03' },
      },
    ],
    'From the first page.',
    { id: 'paged-1', meta: { lastUpdated: '2026-11-25T17:59:00Z' } },
  );
  const page = (next: string): Bundle => ({
    resourceType: 'Bundle',
    type: 'searchset',
    link: [{ relation: 'next', url: next }],
    entry: [{ fullUrl: `${proxy.url}/Communication/paged-1`, resource: paged, search: { mode: 'match' } }],
  });
  const firstSearch = { method: 'GET', path: /\/Communication\?recipient=/ };
  proxy.enqueue(
    { kind: 'status', status: 200, body: page(`${proxy.url}/Communication?recipient=x&_page=2`) },
    { match: firstSearch },
  );
  const before = proxy.requests.length;
  const summary = await svc.delivery.replyPull.pull();
  expect(summary).toMatchObject({ destinations: 1, received: 1, refused: 0, failed: [] });
  expect(summary.pages).toBe(2);
  expect(proxy.requests.slice(before).map((r) => r.path)).toContain(
    '/fhir/Communication?recipient=x&_page=2',
  );
  expect((await replies()).map((r) => r.text)).toContain('From the first page.');

  const watermark = await svc.runtime.store.getReplyWatermark('lakeside-ehr');
  proxy.enqueue(
    { kind: 'status', status: 200, body: page('https://elsewhere.example/fhir/Communication?_page=2') },
    { match: firstSearch },
  );
  const outside = await svc.delivery.replyPull.pull();
  expect(outside.failed).toEqual([
    { destinationId: 'lakeside-ehr', reason: expect.stringContaining('next link outside its base URL') },
  ]);
  expect(outside).toMatchObject({ received: 0, duplicates: 1 });
  expect(await svc.runtime.store.getReplyWatermark('lakeside-ehr')).toBe(watermark);
  expect(proxy.requests.some((r) => r.path.includes('elsewhere'))).toBe(false);
});

test('a server answering a malformed searchset or no Bundle at all stops only that pull, and the sync still completes', async () => {
  const firstSearch = { method: 'GET', path: /\/Communication\?recipient=/ };
  const malformed = { resourceType: 'Bundle', type: 'searchset', link: 'next', entry: { resource: 'x' } };
  proxy.enqueue(
    { kind: 'status', status: 200, body: malformed as unknown as Resource },
    { match: firstSearch },
  );
  expect(await svc.delivery.replyPull.pull()).toMatchObject({ received: 0, refused: 0, failed: [] });
  const notABundle = { resourceType: 'OperationOutcome', issue: [] };
  proxy.enqueue(
    { kind: 'status', status: 200, body: notABundle as unknown as Resource },
    { match: firstSearch, times: 2 },
  );
  const pulled = await svc.delivery.replyPull.pull();
  expect(pulled.failed).toEqual([
    {
      destinationId: 'lakeside-ehr',
      reason: 'destination "lakeside-ehr" did not answer the search with a Bundle',
    },
  ]);
  expect(await svc.scheduler.tick()).toMatchObject({ kind: 'completed' });
});
