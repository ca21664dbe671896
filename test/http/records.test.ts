import request from 'supertest';
import { createApp } from '../../src/entry/http/app';
import { bearer, makeWorld } from './support/ports';
import records from '../../fixtures/http/records.json';

/** Practice records in: status from the ingest result, ids from the path. */

describe('practice record endpoints', () => {
  test.each([
    ['/referrals', records.referral],
    ['/consents', records.consent],
    ['/integration-updates', records.update],
  ])('POST %s: a new record answers 201 created, the same record again 200 unchanged', async (path, body) => {
    const app = createApp(makeWorld().deps);
    const post = (b: object) => request(app).post(path).set('Authorization', bearer('ingest')).send(b);
    const first = await post(body);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      status: 'created',
      recordId: body.id,
      outbox: [{ state: 'awaiting-consent' }],
    });
    expect(first.body.outcome.resourceType).toBe('OperationOutcome');
    const again = await post(body);
    expect([again.status, again.body.status]).toEqual([200, 'unchanged']);
  });

  test('a referral re-posted with changed content answers 200 updated', async () => {
    const app = createApp(makeWorld().deps);
    const post = (b: object) =>
      request(app).post('/referrals').set('Authorization', bearer('ingest')).send(b);
    await post(records.referral);
    const res = await post({ ...records.referral, priority: 'urgent' });
    expect([res.status, res.body.status]).toEqual([200, 'updated']);
  });

  test('a revocation takes the consent id from the path and answers 201', async () => {
    const world = makeWorld();
    const app = createApp(world.deps);
    await request(app).post('/consents').set('Authorization', bearer('ingest')).send(records.consent);
    const res = await request(app)
      .post(`/consents/${records.consent.id}/revoke`)
      .set('Authorization', bearer('ingest'))
      .send(records.revocation);
    expect(res.status).toBe(201);
    expect(res.body.recordId).toBe(records.consent.id);
    expect(world.ingest.records.has(`revocation/${records.consent.id}`)).toBe(true);
  });

  test('a revocation whose body names a consentId is refused with 422 at consentId', async () => {
    const res = await request(createApp(makeWorld().deps))
      .post(`/consents/${records.consent.id}/revoke`)
      .set('Authorization', bearer('ingest'))
      .send({ ...records.revocation, consentId: 'CON-OTHER' });
    expect(res.status).toBe(422);
    expect(res.body.issue[0].expression).toEqual(['consentId']);
  });

  test('a revocation of an unknown consent is the use case’s 422', async () => {
    const res = await request(createApp(makeWorld().deps))
      .post('/consents/CON-NOPE/revoke')
      .set('Authorization', bearer('ingest'))
      .send(records.revocation);
    expect(res.status).toBe(422);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });

  test('a path id outside the FHIR id rule answers 400 value', async () => {
    const res = await request(createApp(makeWorld().deps))
      .post(`/consents/${'x'.repeat(65)}/revoke`)
      .set('Authorization', bearer('ingest'))
      .send(records.revocation);
    expect(res.status).toBe(400);
    expect(res.body.issue[0]).toMatchObject({ code: 'value', expression: ['id'] });
  });

  test('a record body that is not an object reaches the use case and comes back 422', async () => {
    const res = await request(createApp(makeWorld().deps))
      .post('/referrals')
      .set('Authorization', bearer('ingest'))
      .set('Content-Type', 'application/json')
      .send('[1,2]');
    expect(res.status).toBe(422);
    expect(res.body.issue[0].expression).toEqual(['$']);
  });
});
