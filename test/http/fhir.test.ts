import request from 'supertest';
import { createApp } from '../../src/entry/http/app';
import { bearer, CAPABILITY, makeWorld } from './support/ports';
import records from '../../fixtures/http/records.json';
import inputs from '../../fixtures/http/validate-inputs.json';

/** FHIR endpoints: transaction/batch, $process-message, $validate, metadata. */

const FHIR = 'application/fhir+json';

describe('POST /fhir', () => {
  const post = (body: unknown) =>
    request(createApp(makeWorld().deps))
      .post('/fhir')
      .set('Authorization', bearer('ingest'))
      .set('Content-Type', FHIR)
      .send(JSON.stringify(body));

  test('a transaction that succeeds answers 200 with a transaction-response as fhir+json', async () => {
    const res = await post(records.transaction);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
    expect(res.body).toMatchObject({ resourceType: 'Bundle', type: 'transaction-response' });
  });

  test('a transaction that fails answers 422 with one OperationOutcome', async () => {
    const res = await post({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ request: { method: 'POST', url: 'Patient' } }],
    });
    expect(res.status).toBe(422);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });

  test('a batch answers 200 with a batch-response holding a status per entry', async () => {
    const res = await post({
      ...records.transaction,
      type: 'batch',
      entry: [...records.transaction.entry, { request: { method: 'POST', url: 'Patient' } }],
    });
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('batch-response');
    expect(res.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual([
      '201 Created',
      '400 Bad Request',
    ]);
  });

  test('plain application/json is accepted too', async () => {
    const res = await request(createApp(makeWorld().deps))
      .post('/fhir')
      .set('Authorization', bearer('ingest'))
      .send(records.transaction);
    expect(res.status).toBe(200);
  });

  test.each([
    ['a resource that is not a Bundle', { resourceType: 'Patient' }, 'resourceType'],
    ['a Bundle of type collection', { resourceType: 'Bundle', type: 'collection' }, 'Bundle.type'],
    [
      'a message Bundle (belongs to $process-message)',
      { resourceType: 'Bundle', type: 'message' },
      'Bundle.type',
    ],
  ])('%s answers 422 at %s', async (_name, body, expression) => {
    const res = await post(body);
    expect(res.status).toBe(422);
    expect(res.body.issue[0].expression).toEqual([expression]);
  });
});

describe('POST /fhir/$process-message', () => {
  test('a message Bundle answers 200 with the response message', async () => {
    const res = await request(createApp(makeWorld().deps))
      .post('/fhir/$process-message')
      .set('Authorization', bearer('ingest'))
      .set('Content-Type', FHIR)
      .send(JSON.stringify({ resourceType: 'Bundle', type: 'message', entry: [] }));
    expect(res.status).toBe(200);
    expect(res.body.entry[0].resource.response.code).toBe('ok');
  });

  test('a transaction Bundle is refused with 422 at Bundle.type', async () => {
    const res = await request(createApp(makeWorld().deps))
      .post('/fhir/$process-message')
      .set('Authorization', bearer('ingest'))
      .send(records.transaction);
    expect(res.status).toBe(422);
    expect(res.body.issue[0].expression).toEqual(['Bundle.type']);
  });
});

describe('$validate', () => {
  test.each(inputs.cases)('$name', async ({ path, body, expectType, expectProfile }) => {
    const world = makeWorld();
    const res = await request(createApp(world.deps))
      .post(path)
      .set('Authorization', bearer('validate'))
      .set('Content-Type', FHIR)
      .send(JSON.stringify(body));
    expect(res.status).toBe(200);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(world.validateCalls).toHaveLength(1);
    const call = world.validateCalls[0]!;
    expect((call.resource as { resourceType: string }).resourceType).toBe(expectType);
    expect(call.profile).toBe(expectProfile);
  });

  test.each(inputs.refusals)(
    'when $name, the answer is 200 with an error at $expression and the validator is not called',
    async ({ path, body, expression }) => {
      const world = makeWorld();
      const res = await request(createApp(world.deps))
        .post(path)
        .set('Authorization', bearer('validate'))
        .send(body);
      expect(res.status).toBe(200);
      expect(res.body.issue[0]).toMatchObject({ severity: 'error', expression: [expression] });
      expect(world.validateCalls).toHaveLength(0);
    },
  );

  test.each(inputs.badRequests)(
    'when $name, the answer is 400 at $expression and the validator is not called',
    async ({ path, body, expression }) => {
      const world = makeWorld();
      const res = await request(createApp(world.deps))
        .post(path)
        .set('Authorization', bearer('validate'))
        .send(body);
      expect(res.status).toBe(400);
      expect(res.body.issue[0]).toMatchObject({ severity: 'error', expression: [expression] });
      expect(world.validateCalls).toHaveLength(0);
    },
  );

  test('an invalid resource answers 200; the OperationOutcome carries the verdict', async () => {
    const res = await request(createApp(makeWorld().deps))
      .post('/fhir/$validate')
      .set('Authorization', bearer('validate'))
      .send({ status: 'active' });
    expect(res.status).toBe(200);
    expect(res.body.issue[0]).toMatchObject({ severity: 'error', expression: ['resourceType'] });
  });

  test('a path segment that is not a resource type name answers 404', async () => {
    const res = await request(createApp(makeWorld().deps))
      .post('/fhir/patient-1/$validate')
      .set('Authorization', bearer('validate'))
      .send({ resourceType: 'Patient' });
    expect(res.status).toBe(404);
  });
});

test('GET /fhir/metadata answers the CapabilityStatement as fhir+json without a key', async () => {
  const res = await request(createApp(makeWorld().deps)).get('/fhir/metadata');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
  expect(res.body).toEqual(CAPABILITY);
});
