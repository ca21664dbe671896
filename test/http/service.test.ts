import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Bundle, CapabilityStatement, Consent, OperationOutcome } from '@medplum/fhirtypes';
import request from 'supertest';
import { buildService, type BuiltService } from '../../src/bootstrap/service';
import { MemoryLog } from './support/ports';

/**
 * The HTTP API built by the real composition (`buildService`): SQLite in a temp folder, the real
 * validator with the project profiles, the built-in sandbox as destination, the relay triggered
 * by ingest. Nothing is mocked; the sandbox is read over HTTP as the clinician's EHR would be.
 */

const ROOT = path.join(__dirname, '../..');
const RECORDS = path.join(ROOT, 'fixtures/records');
const KEY = 'practice-ehr-key-0123456789abcdef';
const KEY_NAME = 'practice-ehr';
const MRN = 'KAP-000131';
const SID = 'https://kap-bridge.example/fhir/sid';

let dir: string;
let svc: BuiltService;
const log = new MemoryLog();
let now = new Date('2026-11-25T10:00:00-08:00');

const record = (name: string) =>
  JSON.parse(fs.readFileSync(path.join(RECORDS, name), 'utf8')) as Record<string, unknown>;
const auth = { Authorization: `Bearer ${KEY}` };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-service-'));
  const keys = path.join(dir, 'keys.json');
  fs.writeFileSync(
    keys,
    JSON.stringify([{ name: KEY_NAME, key: KEY, scopes: ['ingest', 'validate', 'ops', 'audit'] }]),
    {
      mode: 0o600,
    },
  );
  svc = await buildService(
    {
      DATABASE_URL: `sqlite:${path.join(dir, 'kap.db')}`,
      KAP_BRIDGE_API_KEYS: keys,
      KAP_BRIDGE_DATA_DIR: path.join(dir, 'data'),
      LOG_LEVEL: 'info',
    },
    { clock: () => new Date(now.getTime()), logDestination: log },
  );
}, 60_000);

afterAll(async () => {
  await svc?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function onSandbox<T>(type: string, system: string, value: string): Promise<T[]> {
  const res = await fetch(
    `${svc.sandbox!.url}/${type}?identifier=${encodeURIComponent(`${system}|${value}`)}`,
    { headers: { authorization: `Bearer ${svc.sandbox!.token}` } },
  );
  return (((await res.json()) as Bundle).entry ?? []).map((e) => e.resource as T);
}

/** Polls until `ok` holds (the relay runs in the background) or `ms` pass; returns the last value. */
async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  let value = await read();
  while (!ok(value) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    value = await read();
  }
  return value;
}

const post = (url: string, body: unknown) =>
  request(svc.app)
    .post(url)
    .set(auth)
    .send(body as object);

test('referral, partial consent and update posted over HTTP: the update reaches the sandbox without a manual sync, redacted to the permitted sections', async () => {
  expect((await post('/referrals', record('referral-self.json'))).status).toBe(201);
  expect((await post('/consents', record('consent-partial.json'))).status).toBe(201);
  const update = await post('/integration-updates', record('update-one-observation.json'));
  expect(update.status).toBe(201);
  expect(update.body.outbox[0]).toMatchObject({ state: 'queued', destinationId: 'sandbox' });

  const sent = await eventually(
    () =>
      onSandbox<{ payload?: Array<{ extension?: Array<{ valueCoding?: { code?: string } }> }> }>(
        'Communication',
        `${SID}/integration-update`,
        'UPD-2026-0057-01',
      ),
    (found) => found.length > 0,
  );
  expect(sent).toHaveLength(1);
  const sections = sent[0]!.payload!.map((p) => p.extension?.[0]?.valueCoding?.code);
  expect(sections.sort()).toEqual(['integration-suggestions', 'session-focus']);
});

test('a revocation dated later than now answers 422 naming revokedAt, and the Consent on the sandbox stays active', async () => {
  now = new Date('2026-11-26T09:00:00-08:00');
  const { consentId: _fromPath, ...revocation } = record('revocation.json'); // dated 2026-11-28
  const res = await post('/consents/CON-2026-0057-1/revoke', revocation);
  expect(res.status).toBe(422);
  const oo = res.body as OperationOutcome;
  expect(oo.issue.map((i) => [i.code, i.expression])).toEqual([['business-rule', ['revokedAt']]]);
  const consents = await onSandbox<Consent>('Consent', `${SID}/consent`, 'CON-2026-0057-1');
  expect(consents.map((c) => c.status)).toEqual(['active']);
});

test('after the consent is revoked through /consents/{id}/revoke, the Consent turns inactive on the sandbox and the next update is withheld, nothing sent', async () => {
  now = new Date('2026-11-28T15:05:00-08:00');
  const { consentId: _fromPath, ...revocation } = record('revocation.json');
  const revoked = await post('/consents/CON-2026-0057-1/revoke', revocation);
  expect(revoked.status).toBeLessThan(300);
  const consents = await eventually(
    () => onSandbox<Consent>('Consent', `${SID}/consent`, 'CON-2026-0057-1'),
    (c) => c[0]?.status === 'inactive',
  );
  expect(consents.map((c) => c.status)).toEqual(['inactive']);

  const second = {
    ...record('update-one-observation.json'),
    id: 'UPD-2026-0057-02',
    sessionNumber: 2,
    sessionDate: '2026-11-27',
    writtenAt: '2026-11-27T17:00:00-08:00',
  };
  const res = await post('/integration-updates', second);
  expect(res.status).toBe(201);
  expect(res.body.outbox[0]).toMatchObject({ state: 'withheld' });
  await new Promise((r) => setTimeout(r, 300)); // give a (wrong) background send the time to happen
  expect(await onSandbox('Communication', `${SID}/integration-update`, 'UPD-2026-0057-02')).toHaveLength(0);
});

test('GET /outbox lists the items with their states; an unknown state is a 400 OperationOutcome', async () => {
  const res = await request(svc.app).get('/outbox').set(auth);
  expect(res.status).toBe(200);
  const states = (res.body.items as Array<{ resource: string; state: string }>).map(
    (i) => `${i.resource.split('/_history')[0]} ${i.state}`,
  );
  expect(states).toEqual(
    expect.arrayContaining([
      'Communication/update-UPD-2026-0057-01 delivered',
      'Communication/update-UPD-2026-0057-02 withheld',
    ]),
  );
  const delivered = await request(svc.app).get('/outbox?state=delivered').set(auth);
  expect((delivered.body.items as Array<{ state: string }>).every((i) => i.state === 'delivered')).toBe(true);
  const bad = await request(svc.app).get('/outbox?state=lost').set(auth);
  expect(bad.status).toBe(400);
  expect(bad.body.resourceType).toBe('OperationOutcome');
});

test('GET /patients/{mrn}/disclosures lists what reached the sandbox, and the read is audited once with the key name', async () => {
  const before = await svc.runtime.store.listAudit({ patientMrn: MRN });
  const res = await request(svc.app).get(`/patients/${MRN}/disclosures`).set(auth);
  expect(res.status).toBe(200);
  const what = (res.body.entries as Array<{ what: string[] }>).map((e) => e.what[0]?.split('/_history')[0]);
  expect(what).toContain('Communication/update-UPD-2026-0057-01');
  expect(what).not.toContain('Communication/update-UPD-2026-0057-02');
  const after = await svc.runtime.store.listAudit({ patientMrn: MRN });
  const seen = new Set(before.map((a) => a.id));
  const reads = after.filter((a) => !seen.has(a.id) && a.event.action === 'R');
  expect(reads).toHaveLength(1);
  expect(reads[0]!.event.agent?.[0]?.altId).toBe(KEY_NAME);
  expect((await request(svc.app).get('/patients/KAP-999999/disclosures').set(auth)).status).toBe(404);
});

test('$validate answers an OperationOutcome: errors for a bad resource, none for a good one, and a named profile is applied', async () => {
  const bad = await request(svc.app)
    .post('/fhir/Patient/$validate')
    .set(auth)
    .send({ resourceType: 'Patient', birthDate: '12/04/1986' });
  expect(bad.status).toBe(200);
  expect(bad.body.resourceType).toBe('OperationOutcome');
  expect((bad.body as OperationOutcome).issue?.some((i) => i.severity === 'error')).toBe(true);
  const good = await request(svc.app)
    .post('/fhir/$validate')
    .set(auth)
    .send({ resourceType: 'Patient', birthDate: '1986-04-12' });
  expect((good.body as OperationOutcome).issue?.some((i) => i.severity === 'error')).toBe(false);
  const consent = {
    resourceType: 'Consent',
    status: 'active',
    scope: { text: 'x' },
    category: [{ text: 'x' }],
    policyRule: { text: 'x' },
  };
  const errors = (oo: OperationOutcome) => (oo.issue ?? []).filter((i) => i.severity === 'error').length;
  const plain = await request(svc.app).post('/fhir/Consent/$validate').set(auth).send(consent);
  const profile = encodeURIComponent('https://kap-bridge.example/fhir/StructureDefinition/kap-consent');
  const profiled = await request(svc.app)
    .post(`/fhir/Consent/$validate?profile=${profile}`)
    .set(auth)
    .send(consent);
  expect(errors(profiled.body as OperationOutcome)).toBeGreaterThan(errors(plain.body as OperationOutcome));
});

test('GET /fhir/metadata needs no key and states the FHIR endpoints truthfully: transaction, batch, $process-message, $validate, reply create, the kap profiles; it passes the validator', async () => {
  const res = await request(svc.app).get('/fhir/metadata');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toContain('application/fhir+json');
  const cs = res.body as CapabilityStatement;
  const rest = cs.rest![0]!;
  expect(rest.interaction!.map((i) => i.code).sort()).toEqual(['batch', 'transaction']);
  expect(rest.operation!.map((o) => o.name).sort()).toEqual(['process-message', 'validate']);
  const profiles = rest.resource!.flatMap((r) => r.supportedProfile ?? []);
  expect(profiles).toEqual(
    expect.arrayContaining(
      ['consent', 'referral', 'integration-update'].map(
        (p) => `https://kap-bridge.example/fhir/StructureDefinition/kap-${p}`,
      ),
    ),
  );
  // The one resource interaction offered: a referring clinician's reply (DESIGN.md §6b).
  const served = rest.resource!.filter((r) => (r.interaction ?? []).length > 0);
  expect(served.map((r) => [r.type, r.interaction!.map((i) => i.code)])).toEqual([
    ['Communication', ['create']],
  ]);
  const verdict = svc.runtime.validator().validate(cs);
  expect(verdict.issue?.filter((i) => i.severity === 'error' || i.severity === 'fatal')).toEqual([]);
});

test('POST /fhir with an inbound transaction Bundle stores the referral and answers a transaction-response', async () => {
  const bundle = JSON.parse(
    fs.readFileSync(path.join(ROOT, 'fixtures/inbound/transaction-referral.json'), 'utf8'),
  ) as Bundle;
  const res = await request(svc.app)
    .post('/fhir')
    .set(auth)
    .set('Content-Type', 'application/fhir+json')
    .send(JSON.stringify(bundle));
  expect(res.status).toBe(200);
  expect((res.body as Bundle).type).toBe('transaction-response');
});

test('/readyz reports the store and validator ready; /metrics shows the outbox by state', async () => {
  const ready = await request(svc.app).get('/readyz');
  expect(ready.status).toBe(200);
  expect(ready.body.checks).toEqual({ store: 'ok', validator: 'ok' });
  const metrics = await request(svc.app).get('/metrics').set(auth);
  expect(metrics.text).toMatch(/kap_bridge_outbox_items\{state="delivered"\} [1-9]/);
  expect(metrics.text).toMatch(/kap_bridge_deliveries_total\{outcome="delivered"\} [1-9]/);
});

test('the built-in sandbox that received the deliveries refuses a read without its token and a foreign Host', async () => {
  const url = `${svc.sandbox!.url}/Communication`;
  const withToken = { authorization: `Bearer ${svc.sandbox!.token}` };
  expect((await fetch(url)).status).toBe(401);
  expect((await fetch(url, { headers: { authorization: 'Bearer not-the-sandbox-token-0123' } })).status).toBe(
    401,
  );
  const rebound = await request(url.replace('/fhir/Communication', ''))
    .get('/fhir/Communication')
    .set(withToken)
    .set('Host', 'rebind.example');
  expect(rebound.status).toBe(421);
  expect((await fetch(url, { headers: withToken })).status).toBe(200);
});

test('the log names the built-in sandbox plainly and carries no PHI from the fixtures, no API key and no sandbox token', () => {
  expect(log.text).toContain('no destinations file: delivering to the built-in sandbox at');
  expect(log.text).not.toContain(svc.sandbox!.token);
  for (const phi of [
    'Zoë',
    "O'Connor",
    '1992-02-29',
    'zoe.oconnor',
    'Priya',
    'Raman',
    'Post-traumatic',
    'Establishing safety',
    'paced breathing',
    'Dana Whitfield',
    'asked by phone',
    MRN,
    KEY,
  ]) {
    expect(log.text).not.toContain(phi);
  }
});

test('a referral naming a destination that is not registered is stored with a warning that its items wait (the built-in sandbox never stands in for it)', async () => {
  const res = await post('/referrals', record('referral-clinician-full.json'));
  expect(res.status).toBe(201);
  const texts = (res.body.outcome as OperationOutcome).issue?.map((i) => i.details?.text) ?? [];
  expect(texts).toContain(
    'destination "lakeside-ehr" is not registered: items for it will wait until it is configured',
  );
  expect(res.body.outbox[0]).toMatchObject({ destinationId: 'lakeside-ehr' });
});
