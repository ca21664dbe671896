import request from 'supertest';
import { createApp } from '../../src/entry/http/app';
import { bearer, makeWorld } from './support/ports';
import records from '../../fixtures/http/records.json';

/** Every error class crosses the wire as an OperationOutcome with the right status and code. */

function expectOutcome(res: request.Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.body.issue[0].code).toBe(code);
}

describe('error funnel', () => {
  test('when no route matches, the answer is 404 not-found without echoing the path', async () => {
    const res = await request(createApp(makeWorld().deps)).get('/patients/KAP-000123/disclosure');
    expectOutcome(res, 404, 'not-found');
    expect(res.text).not.toContain('KAP-000123');
  });

  test.each([
    ['get', '/referrals', 'POST'],
    ['delete', '/fhir/metadata', 'GET, HEAD'],
    ['put', '/outbox', 'GET, HEAD'],
    ['get', '/fhir/Patient/$validate', 'POST'],
  ] as const)(
    'when %s %s uses a method the path does not serve, the answer is 405 with Allow: %s',
    async (method, path, allow) => {
      const agent = request(createApp(makeWorld().deps));
      const res = await agent[method](path).set('Authorization', bearer('all'));
      expectOutcome(res, 405, 'not-supported');
      expect(res.headers.allow).toBe(allow);
    },
  );

  test('when OPTIONS asks about a known path, the answer is 204 with Allow', async () => {
    const res = await request(createApp(makeWorld().deps)).options('/referrals');
    expect(res.status).toBe(204);
    expect(res.headers.allow).toBe('POST, OPTIONS');
  });

  test('when the JSON is malformed, the answer is 400 structure saying where, without quoting the body', async () => {
    const body = '{\n  "id": "REF-1",\n  "client": { "name": Avery Stone }\n}';
    const res = await request(createApp(makeWorld().deps))
      .post('/referrals')
      .set('Authorization', bearer('ingest'))
      .set('Content-Type', 'application/json')
      .send(body);
    expectOutcome(res, 400, 'structure');
    expect(res.body.issue[0].details.text).toContain('line 3, column 23');
    expect(res.text).not.toContain('Avery');
  });

  test('when a record endpoint gets no body, the answer is 400 required', async () => {
    const res = await request(createApp(makeWorld().deps))
      .post('/referrals')
      .set('Authorization', bearer('ingest'));
    expectOutcome(res, 400, 'required');
  });

  test('when a record breaks a rule, the answer is 422 with the expression at fault', async () => {
    const res = await request(createApp(makeWorld().deps))
      .post('/referrals')
      .set('Authorization', bearer('ingest'))
      .send({ ...records.referral, mrnOverride: 'X' });
    expectOutcome(res, 422, 'invalid');
    expect(res.body.issue[0].expression).toEqual(['mrnOverride']);
  });

  test('when the body is larger than the configured limit, the answer is 413 too-long', async () => {
    const app = createApp(makeWorld({ config: { bodyLimit: 2048 } }).deps);
    const res = await request(app)
      .post('/referrals')
      .set('Authorization', bearer('ingest'))
      .send({ ...records.referral, note: 'x'.repeat(4096) });
    expectOutcome(res, 413, 'too-long');
  });

  test('when the body is over the default 1 MB, the answer is 413', async () => {
    const res = await request(createApp(makeWorld().deps))
      .post('/fhir')
      .set('Authorization', bearer('ingest'))
      .set('Content-Type', 'application/fhir+json')
      .send(JSON.stringify({ resourceType: 'Bundle', type: 'batch', padding: 'x'.repeat(1024 * 1024) }));
    expectOutcome(res, 413, 'too-long');
  });

  test.each([
    ['text/plain', 'id=1'],
    ['application/xml', '<Bundle/>'],
    ['application/x-www-form-urlencoded', 'a=b'],
    ['application/fhir+json; charset=latin1', '{}'],
  ])('when the body is %s, the answer is 415 not-supported', async (type, body) => {
    const res = await request(createApp(makeWorld().deps))
      .post('/fhir')
      .set('Authorization', bearer('ingest'))
      .set('Content-Type', type)
      .send(body);
    expectOutcome(res, 415, 'not-supported');
  });

  test('when a use case throws, the answer is 500 exception with no message, stack or PHI', async () => {
    const world = makeWorld();
    world.ingest.explodeWith = new Error(`cannot map client Avery Stone at /srv/kap/src/mapping.ts`);
    const res = await request(createApp(world.deps))
      .post('/referrals')
      .set('Authorization', bearer('ingest'))
      .send(records.referral);
    expectOutcome(res, 500, 'exception');
    expect(res.text).not.toMatch(/Avery|mapping\.ts|srv|Error/);
    expect(res.body.issue[0].details.text).toContain(res.headers['x-request-id']);
    expect(world.log.text).toContain('unexpected error');
    expect(world.log.text).not.toContain('Avery');
  });

  test('when requests from one key exceed the limit, the answer is 429 throttled with Retry-After, other keys unaffected', async () => {
    const app = createApp(makeWorld({ config: { rateLimit: { windowMs: 60_000, limit: 3 } } }).deps);
    for (let i = 0; i < 3; i++) {
      expect((await request(app).get('/outbox').set('Authorization', bearer('ops'))).status).toBe(200);
    }
    const res = await request(app).get('/outbox').set('Authorization', bearer('ops'));
    expectOutcome(res, 429, 'throttled');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect((await request(app).get('/outbox').set('Authorization', bearer('all'))).status).toBe(200);
  });

  test('when requests without a valid key from one address exceed the anonymous limit, the answer is 429 throttled with Retry-After, while a keyed client and the probes are unaffected', async () => {
    const app = createApp(makeWorld({ config: { anonymousRateLimit: { windowMs: 60_000, limit: 4 } } }).deps);
    // Every kind of keyless request counts: no key, a wrong key, a public route, an unknown path.
    expect((await request(app).get('/outbox')).status).toBe(401);
    expect(
      (await request(app).get('/outbox').set('Authorization', 'Bearer guessed-key-0123456789')).status,
    ).toBe(401);
    expect((await request(app).get('/fhir/metadata')).status).toBe(200);
    expect((await request(app).get('/no-such-path')).status).toBe(404);
    const res = await request(app).get('/fhir/metadata');
    expectOutcome(res, 429, 'throttled');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expectOutcome(
      await request(app).get('/outbox').set('Authorization', 'Bearer guessed-key-9876543210'),
      429,
      'throttled',
    );
    expect((await request(app).get('/outbox').set('Authorization', bearer('ops'))).status).toBe(200);
    expect((await request(app).get('/fhir/metadata').set('Authorization', bearer('ops'))).status).toBe(200);
    expect((await request(app).get('/healthz')).status).toBe(200);
    expect((await request(app).get('/readyz')).status).toBe(200);
  });

  test('the probes have their own bound per address: past it /readyz answers 429, and probing never uses up the anonymous allowance', async () => {
    const app = createApp(
      makeWorld({
        config: {
          anonymousRateLimit: { windowMs: 60_000, limit: 2 },
          probeRateLimit: { windowMs: 60_000, limit: 5 },
        },
      }).deps,
    );
    for (let i = 0; i < 5; i++)
      expect((await request(app).get(i % 2 ? '/healthz' : '/readyz')).status).toBe(200);
    expectOutcome(await request(app).get('/readyz'), 429, 'throttled');
    expect((await request(app).get('/fhir/metadata')).status).toBe(200);
    expect((await request(app).get('/fhir/metadata')).status).toBe(200);
    expect((await request(app).get('/fhir/metadata')).status).toBe(429);
  });

  test('responses carry helmet headers and a request id, and no x-powered-by', async () => {
    const res = await request(createApp(makeWorld().deps)).get('/healthz');
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
