import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Bundle, Communication, Resource } from '@medplum/fhirtypes';
import request from 'supertest';
import { buildService, type BuiltService } from '../../src/bootstrap/service';
import { startFaultProxy, startSandbox, type FaultProxy, type Sandbox } from '../../src/sandbox';
import { MemoryLog } from '../http/support/ports';

/**
 * The reply pull (DESIGN.md §6b) against the sandbox's own paging: the sandbox pages a search with
 * `_count` and answers `link[relation=next]` (`_offset`), and the pull follows those links as given
 * (R4 http.html#paging). With a page size of 2, five replies written on the sandbox take three
 * pages and each arrives exactly once; the next pull asks only for what is newer and reads one
 * page; two more replies arrive once too. The real service, SQLite on disk, the fault proxy only
 * watching the requests.
 */

const RECORDS = path.join(__dirname, '../../fixtures/records');
const SID = 'https://kap-bridge.example/fhir/sid';
const KEY = 'practice-ehr-key-0123456789abcdef';
const auth = { Authorization: `Bearer ${KEY}` };

let dir: string;
let sandbox: Sandbox;
let proxy: FaultProxy;
let svc: BuiltService;
let practiceOrg: string;

const record = (name: string) => JSON.parse(fs.readFileSync(path.join(RECORDS, name), 'utf8')) as object;

async function onSandbox<T extends Resource>(query: string): Promise<T[]> {
  const res = await fetch(`${sandbox.url}/${query}`, {
    headers: { authorization: `Bearer ${sandbox.token}` },
  });
  return (((await res.json()) as Bundle).entry ?? []).map((e) => e.resource as T);
}

/** Writes reply number `n` on the sandbox as Lakeside's EHR would, answering the referral. */
async function writeReply(n: number): Promise<void> {
  const reply: Communication = {
    resourceType: 'Communication',
    identifier: [{ system: 'https://ehr.lakeside.example/messages', value: `MSG-${n}` }],
    status: 'completed',
    recipient: [{ reference: practiceOrg }],
    sender: { display: 'Jordan Lee, LMFT' },
    partOf: [{ identifier: { system: `${SID}/referral`, value: 'REF-2026-0042' } }],
    sent: `2026-11-25T09:${String(n).padStart(2, '0')}:00-08:00`,
    payload: [{ contentString: `Reply number ${n}.` }],
  };
  const res = await fetch(`${sandbox.url}/Communication`, {
    method: 'POST',
    headers: { authorization: `Bearer ${sandbox.token}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify(reply),
  });
  expect(res.status).toBe(201);
}

const replyTexts = async (): Promise<string[]> =>
  (
    (await request(svc.app).get('/referrals/REF-2026-0042/messages').set(auth)).body as {
      replies: Array<{ text: string }>;
    }
  ).replies.map((r) => r.text);

/** The reply searches the pull sent through the proxy since request number `from`. */
const searchesSince = (from: number): string[] =>
  proxy.requests
    .slice(from)
    .filter((r) => r.method === 'GET' && r.path.includes('/Communication?'))
    .map((r) => r.path);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-pull-paging-'));
  sandbox = await startSandbox();
  proxy = await startFaultProxy({ target: sandbox.url });
  const keys = path.join(dir, 'keys.json');
  fs.writeFileSync(keys, JSON.stringify([{ name: 'practice-ehr', key: KEY, scopes: ['ingest', 'ops'] }]), {
    mode: 0o600,
  });
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
  svc = await buildService(
    {
      DATABASE_URL: `sqlite:${path.join(dir, 'kap.db')}`,
      KAP_BRIDGE_API_KEYS: keys,
      KAP_BRIDGE_DATA_DIR: path.join(dir, 'data'),
      KAP_BRIDGE_DESTINATIONS: destinations,
      KAP_BRIDGE_DEFAULT_DESTINATION: 'lakeside-ehr',
      LAKESIDE_TOKEN: sandbox.token,
      LOG_LEVEL: 'silent',
    },
    { clock: () => new Date('2026-11-25T10:00:00-08:00'), logDestination: new MemoryLog(), replyPageSize: 2 },
  );
  svc.trigger.stop(); // the test pulls when it chooses
  for (const [url, file] of [
    ['/referrals', 'referral-clinician-full.json'],
    ['/consents', 'consent-client-full.json'],
  ] as const) {
    expect((await request(svc.app).post(url).set(auth).send(record(file))).status).toBe(201);
  }
  // The first delivery creates the practice's Organization on the sandbox, where replies are addressed.
  expect(await svc.scheduler.tick()).toMatchObject({ kind: 'completed', result: { dead: 0 } });
  const orgs = await onSandbox(
    `Organization?identifier=${encodeURIComponent(`${SID}/organization|kap-practice`)}`,
  );
  expect(orgs).toHaveLength(1);
  practiceOrg = `Organization/${String(orgs[0]?.id)}`;
}, 60_000);

afterAll(async () => {
  await svc?.close();
  await proxy?.close();
  await sandbox?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('five replies paged two at a time by the sandbox arrive exactly once, following its next links; later pulls read only what is new', async () => {
  for (let n = 1; n <= 5; n++) await writeReply(n);

  let from = proxy.requests.length;
  const first = await svc.delivery.replyPull.pull();
  expect(first).toMatchObject({
    destinations: 1,
    pages: 3,
    received: 5,
    duplicates: 0,
    refused: 0,
    failed: [],
  });
  const pages = searchesSince(from);
  expect(pages).toHaveLength(3);
  expect(pages[0]).toContain('_count=2');
  // The second and third requests are the sandbox's own next links, followed as given.
  expect(pages.slice(1).map((p) => new URL(p, proxy.url).searchParams.get('_offset'))).toEqual(['2', '4']);
  expect(await replyTexts()).toEqual([1, 2, 3, 4, 5].map((n) => `Reply number ${n}.`));

  from = proxy.requests.length;
  const again = await svc.delivery.replyPull.pull();
  expect(again).toMatchObject({ pages: 1, received: 0, failed: [] });
  expect(searchesSince(from)[0]).toContain('_lastUpdated=gt');

  await writeReply(6);
  await writeReply(7);
  const later = await svc.delivery.replyPull.pull();
  expect(later).toMatchObject({ received: 2, duplicates: 0, failed: [] });
  expect(await replyTexts()).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => `Reply number ${n}.`));
});
