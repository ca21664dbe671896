import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AuditEvent } from '@medplum/fhirtypes';
import request from 'supertest';
import { buildService, type BuiltService } from '../../src/bootstrap/service';
import { MemoryLog } from './support/ports';

/**
 * The dashboard's reads (issue 14; DESIGN.md §8: scope `ops` for the queue views, audited PHI
 * reads) on the real service: SQLite, validator, relay, the built-in sandbox as the destination.
 * Avery Stone (KAP-000123) is referred by Jordan Lee and consents to share everything; her
 * session-3 update is delivered. Zoë O'Connor-Nuñez (KAP-000131) referred herself; no consent yet.
 */

const RECORDS = path.join(__dirname, '../../fixtures/records');
const KEYS = {
  ops: { name: 'front-desk', key: 'front-desk-key-0123456789abcdef', scopes: ['ops'] },
  audit: { name: 'privacy-officer', key: 'privacy-key-0123456789abcdef', scopes: ['audit'] },
  ingest: { name: 'practice-ehr', key: 'practice-ehr-key-0123456789abcdef', scopes: ['ingest'] },
} as const;
const as = (name: keyof typeof KEYS) => ({ Authorization: `Bearer ${KEYS[name].key}` });
const record = (name: string) => JSON.parse(fs.readFileSync(path.join(RECORDS, name), 'utf8'));

let dir: string;
let svc: BuiltService;
let now = new Date('2026-11-25T10:00:00-08:00');

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-dashboard-api-'));
  const keys = path.join(dir, 'keys.json');
  fs.writeFileSync(keys, JSON.stringify(Object.values(KEYS)), { mode: 0o600 });
  svc = await buildService(
    {
      DATABASE_URL: `sqlite:${path.join(dir, 'kap.db')}`,
      KAP_BRIDGE_API_KEYS: keys,
      KAP_BRIDGE_DATA_DIR: path.join(dir, 'data'),
      LOG_LEVEL: 'silent',
    },
    { clock: () => new Date(now.getTime()), logDestination: new MemoryLog() },
  );
  svc.trigger.stop(); // the test drains the relay itself
  const referral = record('referral-clinician-full.json');
  referral.referringClinician.destination = 'sandbox';
  for (const [route, body] of [
    ['/referrals', referral],
    ['/consents', record('consent-client-full.json')],
    ['/integration-updates', record('update-all-observations.json')],
    ['/referrals', record('referral-self.json')],
    ['/integration-updates', record('update-one-observation.json')],
  ] as const) {
    const res = await request(svc.app).post(route).set(as('ingest')).send(body);
    expect(res.status).toBe(201);
  }
  await svc.delivery.relay.drain();
}, 120_000);

afterAll(async () => {
  await svc?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const accessReads = async (): Promise<AuditEvent[]> =>
  (await svc.runtime.store.listAudit()).map((a) => a.event).filter((e) => e.action === 'R');
const patientsOf = (e: AuditEvent | undefined) =>
  (e?.entity ?? []).flatMap((x) => (x.what?.identifier?.value ? [x.what.identifier.value] : [])).sort();
const readOf = async (requestId: unknown) =>
  (await accessReads()).find((e) => e.entity?.[0]?.what?.display?.endsWith(`(request ${String(requestId)})`));

describe('GET /session', () => {
  test.each(Object.keys(KEYS) as Array<keyof typeof KEYS>)(
    'the %s key is told its name and scopes, whatever they are, and the practice’s time zone',
    async (name) => {
      const res = await request(svc.app).get('/session').set(as(name));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        name: KEYS[name].name,
        scopes: KEYS[name].scopes,
        timeZone: 'America/Los_Angeles',
      });
    },
  );

  test('without a key, or with a wrong one: 401 OperationOutcome and nothing about the keys', async () => {
    for (const headers of [{}, { Authorization: 'Bearer not-a-key-0000000000' }]) {
      const res = await request(svc.app).get('/session').set(headers);
      expect(res.status).toBe(401);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.text).not.toMatch(/front-desk|privacy-officer/);
    }
  });
});

describe('GET /outbox/summary', () => {
  test('counts every state and names each row’s referral and, for an update, its session', async () => {
    const res = await request(svc.app).get('/outbox/summary').set(as('ops'));
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.counts)).toEqual([
      'awaiting-consent',
      'queued',
      'in-flight',
      'delivered',
      'withheld',
      'retry-wait',
      'dead',
      'cancelled',
    ]);
    expect(res.body.counts.delivered).toBe(3); // Avery's referral status, consent and session-3 update
    expect(res.body.counts['awaiting-consent']).toBe(2); // Zoë's referral status and first update
    const update = res.body.items.find(
      (i: any) => i.resourceType === 'Communication' && i.state === 'delivered',
    );
    expect(update).toMatchObject({
      referralId: 'REF-2026-0042',
      recordId: 'UPD-2026-0042-03',
      sessionDate: '2026-11-20',
      sessionNumber: 3,
      patientMrn: 'KAP-000123',
      destinationId: 'sandbox',
    });
    expect(Date.parse(update.deliveredAt)).not.toBeNaN();
    expect(update).not.toHaveProperty('window'); // delivered: no window to watch
    // Zoë's update (session 24 Nov, window closes 27 Nov 23:59:59 Pacific), seen on 25 Nov at 10:00.
    const waiting = res.body.items.find((i: any) => i.recordId === 'UPD-2026-0057-01');
    expect(waiting).toMatchObject({ state: 'awaiting-consent', window: 'open', sessionDate: '2026-11-24' });
    expect(res.text).not.toMatch(/Avery|Grief/); // no names, no update content
  });

  test('filtered by client: only that client’s rows, counted; the read is audited naming that client', async () => {
    const res = await request(svc.app).get('/outbox/summary?patient=KAP-000131').set(as('ops'));
    expect(res.status).toBe(200);
    expect(new Set(res.body.items.map((i: any) => i.patientMrn))).toEqual(new Set(['KAP-000131']));
    expect(res.body.counts.delivered).toBe(0);
    const event = await readOf(res.headers['x-request-id']);
    expect(event?.agent?.[0]?.who?.display).toBe('front-desk');
    expect(event?.entity?.[0]?.what?.display).toMatch(/^outbox patient \(request /);
    expect(patientsOf(event)).toEqual(['KAP-000131']);
  });

  test('filtered by destination; a malformed filter is a 400 OperationOutcome naming it', async () => {
    const other = await request(svc.app).get('/outbox/summary?destination=lakeside-ehr').set(as('ops'));
    expect(other.body.items).toEqual([]);
    const bad = await request(svc.app).get('/outbox/summary?patient=a%20b').set(as('ops'));
    expect(bad.status).toBe(400);
    expect(bad.body.issue[0]).toMatchObject({ code: 'value', expression: ['patient'] });
  });

  test.each([
    ['2026-11-27T00:00:01-08:00', 'at-risk'], // 23 h 59 min 58 s left
    ['2026-11-27T23:59:58-08:00', 'at-risk'],
    ['2026-11-28T00:00:00-08:00', 'late'],
  ])('an undelivered update seen at %s is %s (window closes 27 Nov 23:59:59 Pacific)', async (at, window) => {
    const was = now;
    now = new Date(at);
    try {
      const res = await request(svc.app).get('/outbox/summary?patient=KAP-000131').set(as('ops'));
      expect(res.body.items.find((i: any) => i.recordId === 'UPD-2026-0057-01')?.window).toBe(window);
    } finally {
      now = was;
    }
  });

  test('an audit or ingest key is refused (403): the queue is for ops keys', async () => {
    for (const key of ['audit', 'ingest'] as const) {
      const res = await request(svc.app).get('/outbox/summary').set(as(key));
      expect(res.status).toBe(403);
      expect(res.body.issue[0].code).toBe('forbidden');
    }
  });
});

describe('GET /referrals/{id}', () => {
  test('the clinician, the consent in force and what it shares, each update with its delivery and attempts — no client name', async () => {
    const res = await request(svc.app).get('/referrals/REF-2026-0042').set(as('ops'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: 'REF-2026-0042',
      clientMrn: 'KAP-000123',
      clinician: { name: 'Jordan Lee, LMFT', npi: '1234567893', organization: 'Lakeside Psychotherapy' },
      consents: [
        { id: 'CON-2026-0042-1', standing: 'in-force', share: record('consent-client-full.json').share },
      ],
    });
    const [update] = res.body.updates;
    expect(update).toMatchObject({
      id: 'UPD-2026-0042-03',
      sessionDate: '2026-11-20',
      sections: ['session-focus', 'observations', 'integration-suggestions'],
    });
    expect(update.deliveries).toHaveLength(1);
    expect(update.deliveries[0]).toMatchObject({ state: 'delivered', destinationId: 'sandbox' });
    expect(update.deliveries[0].attempts).toEqual([
      expect.objectContaining({ attemptNo: 1, result: 'delivered' }),
    ]);
    expect(res.body.otherDeliveries.map((d: any) => d.resourceType).sort()).toEqual([
      'Consent',
      'ServiceRequest',
    ]);
    expect(res.text).not.toMatch(/Avery|Stone|1986-04-12|Grief/);
    const event = await readOf(res.headers['x-request-id']);
    expect(event?.entity?.[0]?.what?.display).toMatch(/^referral \(request /);
    expect(patientsOf(event)).toEqual(['KAP-000123']);
  });

  test('an unknown referral: 404 OperationOutcome, and the attempt is audited as a failed read', async () => {
    const res = await request(svc.app).get('/referrals/REF-9999').set(as('ops'));
    expect(res.status).toBe(404);
    expect(res.body.issue[0].code).toBe('not-found');
    expect((await readOf(res.headers['x-request-id']))?.outcome).toBe('4');
  });

  test('after the client revokes, the consent stands revoked (with when) and nothing is in force', async () => {
    now = new Date('2026-11-28T16:00:00-08:00');
    const { consentId, ...revocation } = record('revocation.json');
    const revoked = await request(svc.app)
      .post(`/consents/${consentId}/revoke`)
      .set(as('ingest'))
      .send(revocation);
    expect(revoked.status).toBe(201);
    const res = await request(svc.app).get('/referrals/REF-2026-0042').set(as('ops'));
    expect(res.body.consents).toEqual([
      expect.objectContaining({
        id: 'CON-2026-0042-1',
        standing: 'revoked',
        revokedAt: revocation.revokedAt,
      }),
    ]);
  });
});

describe('GET /referrals/{id}/client', () => {
  test('gives the client’s name on request, and that read is audited under the client', async () => {
    const res = await request(svc.app).get('/referrals/REF-2026-0057/client').set(as('ops'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ mrn: 'KAP-000131', name: "Zoë O'Connor-Nuñez" });
    const event = await readOf(res.headers['x-request-id']);
    expect(event?.entity?.[0]?.what?.display).toMatch(/^client-name \(request /);
    expect(patientsOf(event)).toEqual(['KAP-000131']);
    const audited = await svc.runtime.store.listAudit({ patientMrn: 'KAP-000131' });
    expect(audited.some((a) => a.event.id === event?.id)).toBe(true);
  });
});

describe('/ui/', () => {
  test('is served with a Content-Security-Policy that allows no inline script or style', async () => {
    const res = await request(svc.app).get('/ui/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const csp = res.headers['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe');
    // The page itself holds no inline script, style or event handler.
    const scripts = res.text.match(/<script[^>]*>/g) ?? [];
    expect(scripts).toEqual(['<script type="module" src="js/main.js">']);
    expect(res.text).not.toMatch(/\sstyle=|<style|\son[a-z]+=/i);
  });

  test('its scripts are served as JavaScript; a missing file or another method is a 404 OperationOutcome', async () => {
    const js = await request(svc.app).get('/ui/js/main.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    for (const res of [await request(svc.app).get('/ui/nope.js'), await request(svc.app).post('/ui/')]) {
      expect(res.status).toBe(404);
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
  });

  test('ten page loads (every file, no key) are not throttled by the anonymous limit of 60 a minute, nor count against it', async () => {
    const dir = path.join(__dirname, '../../src/entry/http/ui');
    const files = fs
      .readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.(?:html|css|js|svg)$/.test(f))
      .map((f) => `/ui/${f.split(path.sep).join('/')}`);
    expect(files.length * 10).toBeGreaterThan(60);
    const statuses = new Set<number>();
    for (let load = 0; load < 10; load++)
      for (const file of ['/ui/', ...files]) statuses.add((await request(svc.app).get(file)).status);
    expect([...statuses]).toEqual([200]);
    expect((await request(svc.app).get('/session')).status).toBe(401); // not 429
  });
});

describe('GET /patients/{mrn}/disclosures', () => {
  test('each entry names the recipient from the client’s referrals, not only the NPI (164.528(b)(2)(ii))', async () => {
    const res = await request(svc.app).get('/patients/KAP-000123/disclosures').set(as('audit'));
    expect(res.status).toBe(200);
    expect(res.body.entries.length).toBeGreaterThan(0);
    for (const entry of res.body.entries)
      expect(entry).toMatchObject({
        recipientNpi: '1234567893',
        recipientName: 'Jordan Lee, LMFT (Lakeside Psychotherapy)',
      });
  });
});
