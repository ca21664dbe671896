import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AuditEvent, OperationOutcome } from '@medplum/fhirtypes';
import request from 'supertest';
import { startFaultProxy, startSandbox, type FaultProxy, type Sandbox } from '../../src/sandbox';
import { buildService, type BuiltService } from '../../src/bootstrap/service';
import { outboxSummary } from '../../src/bootstrap/service-ports';
import { MemoryLog } from './support/ports';

/**
 * What a destination answers is evidence, not content (DESIGN.md §6), and reads of the outbox
 * and of a disclosure log are audited with the patients they returned (§8). The real service
 * (SQLite, relay, validator) delivers to the sandbox through the fault proxy, which answers the
 * first pushes with 400 and a 10 MB OperationOutcome echoing what it was sent.
 */

const ROOT = path.join(__dirname, '../..');
const RECORDS = path.join(ROOT, 'fixtures/records');
const KEYS = {
  ops: { key: 'ops-key-0123456789abcdef', scopes: ['ops'] },
  audit: { key: 'audit-key-0123456789abcdef', scopes: ['audit'] },
  ingest: { key: 'ingest-key-0123456789abcdef', scopes: ['ingest'] },
} as const;
const as = (name: keyof typeof KEYS) => ({ Authorization: `Bearer ${KEYS[name].key}` });
const ECHO = 'ECHOED-PHI Jordan Rivera 1987-04-12 ';
const TWO_MB = 2 * 1024 * 1024;

let dir: string;
let sandbox: Sandbox;
let proxy: FaultProxy;
let svc: BuiltService;
const now = new Date('2026-11-05T12:00:00-08:00');

const record = (name: string) =>
  JSON.parse(fs.readFileSync(path.join(RECORDS, name), 'utf8')) as Record<string, unknown>;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-evidence-'));
  sandbox = await startSandbox();
  proxy = await startFaultProxy({ target: sandbox.url });
  const destinations = path.join(dir, 'destinations.json');
  fs.writeFileSync(
    destinations,
    JSON.stringify([
      {
        id: 'lakeside-ehr',
        baseUrl: proxy.url,
        auth: { type: 'none' },
        allowInsecure: true,
        allowPrivateNetwork: true,
      },
    ]),
  );
  const keys = path.join(dir, 'keys.json');
  const entries = Object.entries(KEYS).map(([name, k]) => ({ name, key: k.key, scopes: k.scopes }));
  fs.writeFileSync(keys, JSON.stringify(entries), { mode: 0o600 });
  svc = await buildService(
    {
      DATABASE_URL: `sqlite:${path.join(dir, 'kap.db')}`,
      KAP_BRIDGE_API_KEYS: keys,
      KAP_BRIDGE_DESTINATIONS: destinations,
      KAP_BRIDGE_DATA_DIR: path.join(dir, 'data'),
      KAP_BRIDGE_TIMEZONE: 'America/Los_Angeles',
      LOG_LEVEL: 'info',
    },
    { clock: () => new Date(now.getTime()), logDestination: new MemoryLog() },
  );
  svc.trigger.stop(); // the test drains the relay itself
  const echo = ECHO.repeat(Math.ceil(TWO_MB / ECHO.length));
  const body: OperationOutcome = {
    resourceType: 'OperationOutcome',
    issue: Array.from({ length: 5 }, () => ({ severity: 'error', code: 'invalid', diagnostics: echo })),
  };
  proxy.enqueue({ kind: 'status', status: 400, body }, { times: 10, match: { method: 'POST' } });
  for (const [kind, file] of [
    ['referrals', 'referral-clinician-full.json'],
    ['consents', 'consent-client-full.json'],
    ['referrals', 'referral-self.json'],
  ] as const) {
    const res = await request(svc.app).post(`/${kind}`).set(as('ingest')).send(record(file));
    expect(res.status).toBe(201);
  }
  await svc.delivery.relay.drain();
}, 120_000);

afterAll(async () => {
  await svc?.close();
  await proxy?.close();
  await sandbox?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const deadRows = async () => svc.runtime.store.listOutbox({ state: 'dead' });

describe('a destination answering 400 with a 10 MB error body', () => {
  test('the row is dead and its stored outcome is at most 8 KB, ending with a marker naming the original size', async () => {
    const dead = await deadRows();
    expect(dead.map((r) => r.resourceType).sort()).toEqual(['Consent', 'ServiceRequest']);
    for (const row of dead) {
      const stored = JSON.stringify(row.lastOutcome);
      expect(Buffer.byteLength(stored, 'utf8')).toBeLessThanOrEqual(8 * 1024);
      const issues = row.lastOutcome?.issue ?? [];
      expect(issues[0]?.details?.text).toMatch(/the destination answered HTTP 400$/);
      expect(issues.at(-1)).toMatchObject({ severity: 'information', code: 'too-long' });
      expect(issues.at(-1)?.details?.text).toMatch(
        /^truncated: the outcome was \d{8} bytes; kept at most 8192 bytes/,
      );
      const attempts = await svc.runtime.store.listAttempts(row.id);
      expect(attempts).toHaveLength(1);
      expect(Buffer.byteLength(JSON.stringify(attempts[0]?.outcome), 'utf8')).toBeLessThanOrEqual(8 * 1024);
    }
    const audits = await svc.runtime.store.listAudit({ patientMrn: 'KAP-000123' });
    for (const a of audits)
      expect(Buffer.byteLength(JSON.stringify(a.event), 'utf8')).toBeLessThan(16 * 1024);
  });

  test('GET /outbox with an ops key shows the bounded outcome; keys without ops are refused (403)', async () => {
    const res = await request(svc.app).get('/outbox?state=dead').set(as('ops'));
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(2);
    for (const item of res.body.items as Array<{ lastOutcome: OperationOutcome }>) {
      expect(item.lastOutcome.issue.at(-1)?.code).toBe('too-long');
    }
    expect(Buffer.byteLength(res.text, 'utf8')).toBeLessThan(3 * 8 * 1024);
    for (const key of ['ingest', 'audit'] as const) {
      const refused = await request(svc.app).get('/outbox').set(as(key));
      expect(refused.status).toBe(403);
      expect(refused.text).not.toContain('ECHOED-PHI');
    }
  });

  test('an ingest key is never shown what a destination answered: its outbox summaries carry no lastOutcome', async () => {
    // Re-posting the consent with changed content answers with the client's outbox items.
    const changed = { ...record('consent-client-full.json'), validUntil: '2027-05-04' };
    const res = await request(svc.app).post('/consents').set(as('ingest')).send(changed);
    expect(res.status).toBe(200);
    const items = res.body.outbox as Array<Record<string, unknown>>;
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) expect(item).not.toHaveProperty('lastOutcome');
    // The same summary of a dead row: evidence only when the key may see it.
    const [dead] = await deadRows();
    expect(outboxSummary(dead!, false)).not.toHaveProperty('lastOutcome');
    expect(outboxSummary(dead!, true)).toMatchObject({ lastOutcome: dead!.lastOutcome });
  });
});

describe('reads of PHI through the API are audited with the patients they returned', () => {
  const accessAudits = async (): Promise<AuditEvent[]> =>
    (await svc.runtime.store.listAudit()).map((a) => a.event).filter((e) => e.action === 'R');
  // The clock is fixed, so events are found by the request id they carry, not by order.
  const ofRequest = (audits: AuditEvent[], requestId: unknown) =>
    audits.find((e) => e.entity?.[0]?.what?.display?.endsWith(`(request ${String(requestId)})`));
  const patientsOf = (e: AuditEvent | undefined) =>
    (e?.entity ?? []).flatMap((x) => (x.what?.identifier?.value ? [x.what.identifier.value] : [])).sort();

  test('GET /outbox: one AuditEvent naming the key, the filter and every patient whose rows were listed', async () => {
    const before = (await accessAudits()).length;
    const res = await request(svc.app).get('/outbox').set(as('ops'));
    expect(res.status).toBe(200);
    const listed = [...new Set((res.body.items as Array<{ patientMrn: string }>).map((i) => i.patientMrn))];
    expect(listed.sort()).toEqual(['KAP-000123', 'KAP-000131']);
    const audits = await accessAudits();
    expect(audits).toHaveLength(before + 1);
    const event = ofRequest(audits, res.headers['x-request-id']);
    expect(event?.agent?.[0]?.who?.display).toBe('ops');
    expect(event?.source?.observer?.display).toBe('kap-bridge API');
    expect(event?.entity?.[0]?.what?.display).toBe(`outbox (request ${res.headers['x-request-id']})`);
    expect(patientsOf(event)).toEqual(['KAP-000123', 'KAP-000131']);
    expect(event?.entity?.find((x) => x.what?.identifier?.value === 'KAP-000131')?.what?.reference).toMatch(
      /^Patient\//,
    );
  });

  test('GET /patients/{mrn}/disclosures: one AuditEvent naming the key and the patient', async () => {
    const before = (await accessAudits()).length;
    const res = await request(svc.app).get('/patients/KAP-000123/disclosures').set(as('audit'));
    expect(res.status).toBe(200);
    const audits = await accessAudits();
    expect(audits).toHaveLength(before + 1);
    const event = ofRequest(audits, res.headers['x-request-id']);
    expect(event?.agent?.[0]?.who?.display).toBe('audit');
    expect(event?.entity?.[0]?.what?.display).toMatch(/^disclosure-log \(request /);
    expect(patientsOf(event)).toEqual(['KAP-000123']);
  });
});
