import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Bundle, Communication, OperationOutcome, Task } from '@medplum/fhirtypes';
import request from 'supertest';
import { buildService, type BuiltService } from '../../src/bootstrap/service';
import { MemoryLog } from './support/ports';

/**
 * The loop with the referring clinician over HTTP (DESIGN.md §6b), on the real composition: SQLite
 * in a temp folder, the built-in sandbox as the clinician's server, the relay kicked by ingest.
 * A status change reaches the sandbox as a Task; a reply pushed with a key bound to the
 * clinician arrives once and shows in the referral's messages; other keys are refused.
 */

const ROOT = path.join(__dirname, '../..');
const RECORDS = path.join(ROOT, 'fixtures/records');
const SID = 'https://kap-bridge.example/fhir/sid';
const NPI = 'http://hl7.org/fhir/sid/us-npi';
const KEYS = {
  practice: 'practice-ehr-key-0123456789abcdef',
  raman: 'raman-clinic-key-0123456789abcdef',
  other: 'other-clinic-key-0123456789abcdef',
};

let dir: string;
let svc: BuiltService;
const now = new Date('2026-11-25T10:00:00-08:00');

const record = (name: string, patch: Record<string, unknown> = {}) => ({
  ...(JSON.parse(fs.readFileSync(path.join(RECORDS, name), 'utf8')) as Record<string, unknown>),
  ...patch,
});
const as = (key: keyof typeof KEYS) => ({ Authorization: `Bearer ${KEYS[key]}` });
const post = (url: string, body: unknown, key: keyof typeof KEYS = 'practice') =>
  request(svc.app)
    .post(url)
    .set(as(key))
    .send(body as object);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-loop-'));
  const keys = path.join(dir, 'keys.json');
  const all = ['ingest', 'validate', 'ops', 'audit'];
  fs.writeFileSync(
    keys,
    JSON.stringify([
      { name: 'practice-ehr', key: KEYS.practice, scopes: all },
      // Priya Raman's clinic: bound to her NPI (the referral names no organisation).
      {
        name: 'raman-clinic',
        key: KEYS.raman,
        scopes: ['ingest'],
        senders: [{ system: NPI, value: '1458932047' }],
      },
      {
        name: 'other-clinic',
        key: KEYS.other,
        scopes: ['ingest'],
        senders: [{ system: NPI, value: '1497758544' }],
      },
    ]),
    { mode: 0o600 },
  );
  svc = await buildService(
    {
      DATABASE_URL: `sqlite:${path.join(dir, 'kap.db')}`,
      KAP_BRIDGE_API_KEYS: keys,
      KAP_BRIDGE_DATA_DIR: path.join(dir, 'data'),
      LOG_LEVEL: 'silent',
    },
    { clock: () => new Date(now.getTime()), logDestination: new MemoryLog() },
  );
  expect((await post('/referrals', record('referral-self.json'))).status).toBe(201);
  const share = ['referral-status', 'session-focus', 'integration-suggestions'];
  expect((await post('/consents', record('consent-partial.json', { share }))).status).toBe(201);
  expect((await post('/integration-updates', record('update-one-observation.json'))).status).toBe(201);
}, 60_000);

afterAll(async () => {
  await svc?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function onSandbox<T>(type: string, query = ''): Promise<T[]> {
  const res = await fetch(`${svc.sandbox!.url}/${type}${query}`, {
    headers: { authorization: `Bearer ${svc.sandbox!.token}` },
  });
  return (((await res.json()) as Bundle).entry ?? []).map((e) => e.resource as T);
}

async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  let value = await read();
  while (!ok(value) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    value = await read();
  }
  return value;
}

function reply(over: Partial<Communication> = {}): Communication {
  return {
    resourceType: 'Communication',
    identifier: [{ system: 'https://ehr.raman.example/messages', value: 'MSG-881' }],
    status: 'completed',
    inResponseTo: [
      {
        type: 'Communication',
        identifier: { system: `${SID}/integration-update`, value: 'UPD-2026-0057-01' },
      },
    ],
    sent: '2026-11-25T09:15:00-08:00',
    sender: { display: 'Priya Raman, LCSW', identifier: { system: NPI, value: '1458932047' } },
    payload: [
      { contentString: 'Thank you. I will follow up on the breathing practice at our next session.' },
    ],
    ...over,
  };
}

const messages = async () =>
  (await request(svc.app).get('/referrals/REF-2026-0057/messages').set(as('practice'))).body as {
    referral: string;
    statuses: Array<{ status: string; at: string; reason?: string }>;
    replies: Array<{ id: string; text: string; from: string; inReplyTo: unknown; handled: boolean }>;
    unlinked?: Array<{ id: string; text: string }>;
  };

test('POST /referrals/{id}/status: an accepted referral reaches the sandbox as a Task without a manual sync; naming the referral in the body is refused', async () => {
  const res = await post('/referrals/REF-2026-0057/status', {
    status: 'accepted',
    at: '2026-11-20T09:00:00-08:00',
  });
  expect(res.status).toBe(201);
  expect(res.body.outbox.map((r: { resource: string }) => r.resource)).toEqual([
    'ServiceRequest/referral-REF-2026-0057/_history/2',
    'Task/referral-task-REF-2026-0057/_history/1',
  ]);
  const q = `?identifier=${encodeURIComponent(`${SID}/referral-task|REF-2026-0057`)}`;
  const tasks = await eventually(
    () => onSandbox<Task>('Task', q),
    (t) => t.length > 0,
  );
  expect(tasks.map((t) => [t.status, t.businessStatus?.text])).toEqual([['accepted', 'Referral accepted']]);

  const named = await post('/referrals/REF-2026-0057/status', {
    referralId: 'REF-2026-0057',
    status: 'accepted',
    at: '2026-11-20T09:00:00-08:00',
  });
  expect(named.status).toBe(422);
  expect((named.body as OperationOutcome).issue?.[0]?.expression).toEqual(['referralId']);
  const unknown = await post('/referrals/REF-NOPE/status', {
    status: 'accepted',
    at: '2026-11-20T09:00:00-08:00',
  });
  expect(unknown.status).toBe(422);
  expect((unknown.body as OperationOutcome).issue?.[0]?.expression).toEqual(['referralId']);
});

test('a reply pushed with a key bound to the clinician arrives once, linked to the update, and is never sent on', async () => {
  const first = await post('/fhir/Communication', reply(), 'raman');
  expect(first.status).toBe(201);
  expect(first.body.resourceType).toBe('OperationOutcome');
  const again = await post('/fhir/Communication', reply(), 'raman');
  expect(again.status).toBe(200);

  const view = await messages();
  expect(view.statuses).toEqual([{ status: 'accepted', at: '2026-11-20T09:00:00-08:00' }]);
  expect(view.replies).toHaveLength(1);
  expect(view.replies[0]).toMatchObject({
    from: 'Priya Raman, LCSW',
    text: 'Thank you. I will follow up on the breathing practice at our next session.',
    inReplyTo: { kind: 'update', id: 'UPD-2026-0057-01' },
    handled: false,
  });
  // The read is audited under the client.
  const audits = await svc.runtime.store.listAudit({ patientMrn: 'KAP-000131' });
  expect(audits.map((a) => a.event.entity?.[0]?.what?.display ?? '')).toEqual(
    expect.arrayContaining([expect.stringMatching(/^referral-messages/), expect.stringMatching(/^reply /)]),
  );
  // Received PHI is never re-disclosed: the sandbox holds only the practice's own Communication.
  await new Promise((r) => setTimeout(r, 300));
  const comms = await onSandbox<Communication>('Communication');
  expect(comms.map((c) => c.identifier?.[0]?.value)).toEqual(['UPD-2026-0057-01']);
  expect(
    (await svc.runtime.store.listOutbox({ patientMrn: 'KAP-000131' })).every(
      (r) => r.resourceType !== 'Communication' || r.resourceId === 'update-UPD-2026-0057-01',
    ),
  ).toBe(true);
});

test('a reply from a key bound to another organisation, or from an unbound key, is refused with 403 and nothing is stored', async () => {
  const before = (await messages()).replies.length;
  const other = await post(
    '/fhir/Communication',
    reply({ identifier: [{ system: 'x:y', value: 'OTHER-1' }] }),
    'other',
  );
  expect(other.status).toBe(403);
  expect((other.body as OperationOutcome).issue?.[0]?.code).toBe('forbidden');
  const unbound = await post(
    '/fhir/Communication',
    reply({ identifier: [{ system: 'x:y', value: 'OTHER-2' }] }),
    'practice',
  );
  expect(unbound.status).toBe(403);
  expect((await messages()).replies).toHaveLength(before);
});

test('reply text is bounded and checked: markup or an attachment is refused naming the element', async () => {
  const html = await post(
    '/fhir/Communication',
    reply({ payload: [{ contentString: 'See <a href="javascript:alert(1)">this</a>' }] }),
    'raman',
  );
  expect(html.status).toBe(422);
  expect((html.body as OperationOutcome).issue?.[0]?.expression).toEqual([
    'Communication.payload[0].contentString',
  ]);
  const long = await post(
    '/fhir/Communication',
    reply({ payload: [{ contentString: 'x'.repeat(4001) }] }),
    'raman',
  );
  expect(long.status).toBe(422);
  const attached = await post(
    '/fhir/Communication',
    reply({ payload: [{ contentAttachment: { contentType: 'text/plain', data: 'aGk=' } }] }),
    'raman',
  );
  expect(attached.status).toBe(422);
  expect((attached.body as OperationOutcome).issue?.[0]?.code).toBe('not-supported');
});

test('a reply that cannot be linked is kept for staff review and shown with the referral of its sender; marking handled sticks', async () => {
  const lost = reply({
    identifier: [{ system: 'https://ehr.raman.example/messages', value: 'MSG-900' }],
    inResponseTo: [{ identifier: { system: 'https://ehr.raman.example/threads', value: 'T-1' } }],
    payload: [{ contentString: 'Could you call me about our shared client?' }],
  });
  const res = await post('/fhir/Communication', lost, 'raman');
  // The same answer as a linked reply: the sender learns nothing about the practice's records.
  expect(res.status).toBe(201);
  expect(res.body).toEqual(
    (await post('/fhir/Communication', reply({ identifier: [{ system: 'x:y', value: 'MSG-901' }] }), 'raman'))
      .body,
  );
  const view = await messages();
  expect(view.unlinked?.map((u) => u.text)).toEqual(['Could you call me about our shared client?']);

  const target = view.replies[0]!.id;
  const marked = await request(svc.app)
    .post(`/referrals/REF-2026-0057/messages/${target}/handled`)
    .set(as('practice'));
  expect(marked.status).toBe(200);
  expect(marked.body.reply).toMatchObject({ id: target, handled: true, handledBy: 'practice-ehr' });
  expect((await messages()).replies.find((r) => r.id === target)?.handled).toBe(true);

  const elsewhere = await request(svc.app)
    .post(`/referrals/REF-2026-0042/messages/${target}/handled`)
    .set(as('practice'));
  expect(elsewhere.status).toBe(404);
  const noReferral = await request(svc.app)
    .post(`/referrals/REF-NOPE/messages/${view.unlinked?.[0]?.id ?? ''}/handled`)
    .set(as('practice'));
  expect(noReferral.status).toBe(404);
  expect((await request(svc.app).get('/referrals/REF-NOPE/messages').set(as('practice'))).status).toBe(404);
  expect((await request(svc.app).get('/referrals/REF-2026-0057/messages').set(as('raman'))).status).toBe(403);
});

describe('replies as entries of a POST /fhir Bundle', () => {
  const entry = (value: string, text: string) => ({
    resource: reply({
      identifier: [{ system: 'https://ehr.raman.example/messages', value }],
      payload: [{ contentString: text }],
    }),
    request: { method: 'POST', url: 'Communication' },
  });
  const bundle = (type: 'transaction' | 'batch', entries: unknown[]) => ({
    resourceType: 'Bundle',
    type,
    entry: entries,
  });

  test('a transaction of replies is stored all together, or — with one bad entry — not at all', async () => {
    const before = (await messages()).replies.length;
    const refused = await post(
      '/fhir',
      bundle('transaction', [entry('TX-1', 'First.'), entry('TX-2', 'See <script>x</script>')]),
      'raman',
    );
    expect(refused.status).toBe(422);
    expect((refused.body as OperationOutcome).issue?.[0]?.expression).toEqual([
      'Bundle.entry[1].resource.payload[0].contentString',
    ]);
    expect((await messages()).replies).toHaveLength(before);

    const ok = await post(
      '/fhir',
      bundle('transaction', [entry('TX-1', 'First.'), entry('TX-2', 'Second.')]),
      'raman',
    );
    expect(ok.status).toBe(200);
    expect((ok.body as Bundle).type).toBe('transaction-response');
    expect((ok.body as Bundle).entry?.map((e) => e.response?.status)).toEqual(['201 Created', '201 Created']);
    expect((await messages()).replies).toHaveLength(before + 2);
  });

  test('a batch answers each reply on its own; a key bound elsewhere gets 403 for a transaction', async () => {
    const res = await post(
      '/fhir',
      bundle('batch', [entry('TX-1', 'First.'), entry('B-1', 'See <b>this</b>'), entry('B-2', 'Third.')]),
      'raman',
    );
    expect(res.status).toBe(200);
    expect((res.body as Bundle).entry?.map((e) => e.response?.status)).toEqual([
      '200 OK',
      '422 Unprocessable Entity',
      '201 Created',
    ]);
    const other = await post('/fhir', bundle('transaction', [entry('O-1', 'Hello.')]), 'other');
    expect(other.status).toBe(403);
  });
});
