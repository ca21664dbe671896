import request from 'supertest';
import { createApp } from '../../src/entry/http/app';
import { bearer, makeWorld, NOW } from './support/ports';

/** Outbox operations, the disclosure log (audited reads of PHI), health and metrics. */

describe('outbox', () => {
  test('GET /outbox?state=dead lists the dead items and audits the read with the key name', async () => {
    const world = makeWorld();
    const res = await request(createApp(world.deps))
      .get('/outbox?state=dead')
      .set('Authorization', bearer('ops'));
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([{ id: 'OB-3', state: 'dead' }]);
    expect(world.accesses).toEqual([
      {
        actor: 'ops',
        action: 'read',
        what: { kind: 'outbox', state: 'dead' },
        outcome: 'success',
        requestId: res.headers['x-request-id'],
        at: NOW,
      },
    ]);
  });

  test.each(['?state=lost', '?state=', '?state=dead&state=queued', '?destination=http%3A%2F%2Fevil.example'])(
    'GET /outbox%s answers 400 value and reads nothing',
    async (query) => {
      const world = makeWorld();
      const res = await request(createApp(world.deps))
        .get(`/outbox${query}`)
        .set('Authorization', bearer('ops'));
      expect(res.status).toBe(400);
      expect(res.body.issue[0].code).toBe('value');
      expect(world.accesses).toHaveLength(0);
    },
  );

  test.each([
    ['OB-1', 200, undefined],
    ['OB-2', 409, 'conflict'],
    ['OB-9', 404, 'not-found'],
  ])('POST /outbox/%s/retry answers %s', async (id, status, code) => {
    const res = await request(createApp(makeWorld().deps))
      .post(`/outbox/${id}/retry`)
      .set('Authorization', bearer('ops'));
    expect(res.status).toBe(status);
    if (code) expect(res.body.issue[0].code).toBe(code);
    else expect(res.body.item).toEqual({ id, state: 'queued' });
  });
});

describe('disclosure log', () => {
  test('GET /patients/{mrn}/disclosures answers the log and audits who read which patient', async () => {
    const world = makeWorld();
    const res = await request(createApp(world.deps))
      .get('/patients/KAP-000123/disclosures')
      .set('Authorization', bearer('audit'));
    expect(res.status).toBe(200);
    expect(res.body.entries).toHaveLength(1);
    expect(world.accesses[0]).toMatchObject({
      actor: 'audit',
      what: { kind: 'disclosure-log', patientMrn: 'KAP-000123' },
      outcome: 'success',
    });
  });

  test('an unknown MRN answers 404 and the attempt is audited', async () => {
    const world = makeWorld();
    const res = await request(createApp(world.deps))
      .get('/patients/KAP-999999/disclosures')
      .set('Authorization', bearer('audit'));
    expect(res.status).toBe(404);
    expect(world.accesses[0]).toMatchObject({ outcome: 'not-found' });
  });

  test('when the audit trail cannot be written, the log is not sent (500)', async () => {
    // The disclosure-log use case audits before it answers; here its audit write fails.
    const world = makeWorld({ disclosures: () => Promise.reject(new Error('disk full')) });
    const res = await request(createApp(world.deps))
      .get('/patients/KAP-000123/disclosures')
      .set('Authorization', bearer('audit'));
    expect(res.status).toBe(500);
    expect(res.text).not.toContain('Communication/UPD');
  });
});

describe('health and metrics', () => {
  test('/healthz answers 200 ok', async () => {
    const res = await request(createApp(makeWorld().deps)).get('/healthz');
    expect([res.status, res.body.status]).toEqual([200, 'ok']);
  });

  test('/readyz answers 200 with check names when ready, 503 transient naming the check (not its detail) when not', async () => {
    const world = makeWorld();
    const app = createApp(world.deps);
    expect((await request(app).get('/readyz')).body).toEqual({ status: 'ok', checks: { database: 'ok' } });
    world.ready.db = false;
    const res = await request(app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.issue[0]).toMatchObject({
      code: 'transient',
      details: { text: 'Check "database" is failing.' },
    });
    expect(res.text).not.toContain('/secret/path');
  });

  test('/metrics exposes outbox gauges, at-risk count and HTTP counters by route template', async () => {
    const world = makeWorld();
    const app = createApp(world.deps);
    await request(app).get('/patients/KAP-000123/disclosures').set('Authorization', bearer('audit'));
    world.deps.metrics.observeDelivery('delivered', 0.2);
    const res = await request(app).get('/metrics').set('Authorization', bearer('ops'));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toContain('kap_bridge_outbox_items{state="dead"} 1');
    expect(res.text).toContain('kap_bridge_outbox_at_risk 2');
    expect(res.text).toContain('kap_bridge_deliveries_total{outcome="delivered"} 1');
    expect(res.text).toContain('kap_bridge_delivery_duration_seconds_count 1');
    expect(res.text).toContain(
      'kap_bridge_http_requests_total{method="GET",route="/patients/:mrn/disclosures",status="200"} 1',
    );
    expect(res.text).not.toContain('KAP-000123');
  });

  // The label values are a contract of /metrics; the relay reports attempt results in its own words.
  test.each([
    ['delivered', 'delivered'],
    ['withheld', 'withheld'],
    ['awaiting', 'awaiting-consent'],
    ['retry', 'retry'],
    ['dead', 'dead'],
    ['lost', 'retry'],
  ] as const)('an attempt that ended %s is counted under the outcome label "%s"', async (result, label) => {
    const world = makeWorld();
    const app = createApp(world.deps);
    world.deps.metrics.observeDelivery(result, 0.1);
    const res = await request(app).get('/metrics').set('Authorization', bearer('ops'));
    expect(res.text).toContain(`kap_bridge_deliveries_total{outcome="${label}"} 1`);
  });

  test('an outbox state that empties drops out of the gauge', async () => {
    const world = makeWorld();
    const app = createApp(world.deps);
    await request(app).get('/metrics').set('Authorization', bearer('ops'));
    world.outboxItems.splice(2, 1);
    const res = await request(app).get('/metrics').set('Authorization', bearer('ops'));
    expect(res.text).not.toContain('kap_bridge_outbox_items{state="dead"}');
  });
});
