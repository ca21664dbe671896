import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startService, type RunningService } from '../../../src/bootstrap/service';
import { startFaultProxy, startSandbox, type FaultProxy, type Sandbox } from '../../../src/sandbox';
import { MemoryLog } from '../../http/support/ports';

/**
 * A running kap-bridge (`startService`, as `npm start` runs it: HTTP on a free loopback port, the
 * relay, the cron and ingest-triggered sync) delivering to a sandbox FHIR server through the fault
 * proxy (a destination "lakeside-ehr" that can be told to refuse), seeded through the HTTP API
 * with the repository's fixtures, dated relative to today so the integration-window countdown is
 * live. The browser test drives the dashboard against it.
 */

const RECORDS = path.join(__dirname, '../../../fixtures/records');
export const ZONE = 'America/Los_Angeles';

export const KEYS = {
  frontDesk: { name: 'front-desk', key: 'front-desk-key-0123456789abcdef', scopes: ['ops', 'audit'] },
  opsOnly: { name: 'ops-only', key: 'ops-only-key-0123456789abcdef', scopes: ['ops'] },
  auditOnly: { name: 'audit-only', key: 'audit-only-key-0123456789abcdef', scopes: ['audit'] },
  ingest: { name: 'practice-ehr', key: 'practice-ehr-key-0123456789abcdef', scopes: ['ingest'] },
  // Lakeside Psychotherapy's system, bound to the organisation's NPI: it may push its clinicians'
  // replies (POST /fhir/Communication, DESIGN.md §6b) and nothing else.
  lakeside: {
    name: 'lakeside-clinic',
    key: 'lakeside-clinic-key-0123456789abcdef',
    scopes: ['ingest'],
    senders: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '1497758544' }],
  },
} as const;

/** What the destination says when it refuses the fourth session's update (its plain-text reason). */
export const REFUSAL_TEXT =
  'Communication.recipient: Practitioner with NPI 1234567893 is not active at Lakeside';

export interface DashboardWorld {
  svc: RunningService;
  sandbox: Sandbox;
  proxy: FaultProxy;
  /** Session dates (YYYY-MM-DD, practice zone) of the seeded updates. */
  sessions: { delivered: string; refused: string; atRisk: string };
  /** GET/POST the API with a key; resolves with status and JSON body. */
  call(
    method: 'GET' | 'POST',
    urlPath: string,
    key: string,
    body?: unknown,
  ): Promise<{ status: number; body: any }>;
  /** Waits until `predicate` holds for the outbox summary (read with the front desk's key). */
  waitForOutbox(predicate: (items: any[]) => boolean, what: string): Promise<any[]>;
  close(): Promise<void>;
}

/** Today's date in the practice zone, moved by `days`. */
export function practiceDate(days: number, now = new Date()): string {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(now);
  const d = new Date(`${today}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const DAY = 24 * 60 * 60 * 1000;
const record = (name: string) => JSON.parse(fs.readFileSync(path.join(RECORDS, name), 'utf8'));

export async function openDashboardWorld(): Promise<DashboardWorld> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-dashboard-'));
  const sandbox = await startSandbox();
  const proxy = await startFaultProxy({ target: sandbox.url });
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
      },
    ]),
  );
  const keys = path.join(dir, 'keys.json');
  fs.writeFileSync(keys, JSON.stringify(Object.values(KEYS)), { mode: 0o600 });
  const svc = await startService(
    {
      DATABASE_URL: `sqlite:${path.join(dir, 'kap.db')}`,
      HOST: '127.0.0.1',
      PORT: '0',
      KAP_BRIDGE_API_KEYS: keys,
      KAP_BRIDGE_DESTINATIONS: destinations,
      KAP_BRIDGE_DEFAULT_DESTINATION: 'lakeside-ehr',
      KAP_BRIDGE_DATA_DIR: path.join(dir, 'data'),
      KAP_BRIDGE_TIMEZONE: ZONE,
      LAKESIDE_TOKEN: sandbox.token,
      LOG_LEVEL: 'warn',
    },
    { logDestination: new MemoryLog() },
  );
  const call: DashboardWorld['call'] = async (method, urlPath, key, body) => {
    const res = await fetch(`${svc.url}${urlPath}`, {
      method,
      headers: {
        Authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: await res.json() };
  };
  const waitForOutbox: DashboardWorld['waitForOutbox'] = async (predicate, what) => {
    const until = Date.now() + 60_000; // generous: other suites may be loading the machine
    while (Date.now() < until) {
      const res = await call('GET', '/outbox/summary', KEYS.frontDesk.key);
      if (res.status === 200 && predicate(res.body.items)) return res.body.items;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the outbox never reached: ${what}`);
  };
  const world: DashboardWorld = {
    svc,
    sandbox,
    proxy,
    sessions: { delivered: practiceDate(-2), refused: practiceDate(-1), atRisk: practiceDate(-3) },
    call,
    waitForOutbox,
    close: async () => {
      await svc.stop();
      await proxy.close();
      await sandbox.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await seed(world);
  } catch (err) {
    await world.close();
    throw err;
  }
  return world;
}

const settled = (items: any[]) =>
  items.every((i) => !['queued', 'in-flight', 'retry-wait'].includes(i.state));

/**
 * Avery Stone, referred by Jordan Lee (Lakeside), consents to share everything: the referral
 * status, the consent and the third session's update are delivered; the fourth session's update
 * is refused by Lakeside's system (422) and is dead. Zoë O'Connor-Nuñez referred herself and has
 * no consent on file yet: her first session's update waits, and its window closes tonight.
 */
async function seed(w: DashboardWorld): Promise<void> {
  const post = async (route: string, body: unknown) => {
    const res = await w.call('POST', route, KEYS.ingest.key, body);
    if (res.status >= 300) throw new Error(`${route}: ${res.status} ${JSON.stringify(res.body)}`);
  };
  await post('/referrals', { ...record('referral-clinician-full.json'), receivedAt: ago(20 * DAY) });
  await post('/consents', {
    ...record('consent-client-full.json'),
    validFrom: practiceDate(-14),
    validUntil: practiceDate(180),
    signedAt: ago(14 * DAY),
  });
  await w.waitForOutbox((items) => items.length >= 2 && settled(items), 'referral and consent delivered');
  await post('/integration-updates', {
    ...record('update-all-observations.json'),
    sessionDate: w.sessions.delivered,
    writtenAt: ago(2 * 60 * 60 * 1000),
  });
  await w.waitForOutbox(
    (items) => items.some((i) => i.sessionDate === w.sessions.delivered && i.state === 'delivered'),
    'the third session delivered',
  );
  w.proxy.enqueue(
    {
      kind: 'status',
      status: 422,
      body: {
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'business-rule', diagnostics: REFUSAL_TEXT }],
      },
    },
    { times: 1, match: { method: 'POST' } },
  );
  await post('/integration-updates', {
    ...record('update-no-suggestions.json'),
    id: 'UPD-2026-0042-04',
    referralId: 'REF-2026-0042',
    sessionDate: w.sessions.refused,
    sessionNumber: 4,
    writtenAt: ago(60 * 60 * 1000),
  });
  await w.waitForOutbox(
    (items) => items.some((i) => i.sessionDate === w.sessions.refused && i.state === 'dead'),
    'the fourth session refused',
  );
  await post('/referrals', { ...record('referral-self.json'), receivedAt: ago(10 * DAY) });
  await post('/integration-updates', {
    ...record('update-one-observation.json'),
    sessionDate: w.sessions.atRisk,
    writtenAt: ago(30 * 60 * 1000),
  });
  await w.waitForOutbox(
    (items) => items.some((i) => i.sessionDate === w.sessions.atRisk && i.state === 'awaiting-consent'),
    'the at-risk update waiting for consent',
  );
}
