import request from 'supertest';
import { createApp } from '../../src/entry/http/app';
import { createLogger } from '../../src/entry/http/logging';
import { bearer, makeWorld, MemoryLog } from './support/ports';
import records from '../../fixtures/http/records.json';
import phi from '../../fixtures/http/phi-values.json';

/**
 * Logs carry no PHI (DESIGN.md §8, issue 7): the fixture records go through every endpoint,
 * including the failure paths that tempt a logger (malformed JSON, rejections, a use case that
 * throws with PHI in its message), and no PHI value of the fixtures may appear in any line.
 */

describe('PHI-free logs', () => {
  const world = makeWorld();
  const app = createApp(world.deps);
  const FHIR = 'application/fhir+json';

  beforeAll(async () => {
    const ingest = (path: string, body: unknown) =>
      request(app)
        .post(path)
        .set('Authorization', bearer('all'))
        .send(body as object);
    await ingest('/referrals', records.referral);
    await ingest('/referrals', records.referral); // unchanged
    await ingest('/referrals', { ...records.referral, priority: 'urgent' }); // updated
    await ingest('/consents', records.consent);
    await ingest(`/consents/${records.consent.id}/revoke`, records.revocation);
    await ingest('/integration-updates', records.update);
    await ingest('/integration-updates', { ...records.update, surprise: records.update.focus }); // 422
    await request(app)
      .post('/fhir')
      .set('Authorization', bearer('all'))
      .set('Content-Type', FHIR)
      .send(JSON.stringify(records.transaction));
    await request(app)
      .post('/fhir/$validate')
      .set('Authorization', bearer('all'))
      .send(records.transaction.entry[0]!.resource);
    const broken = JSON.stringify(records.update).replace('"focus":', '"focus"');
    await request(app)
      .post('/integration-updates')
      .set('Authorization', bearer('all'))
      .set('Content-Type', 'application/json')
      .send(broken);
    await request(app).get('/patients/KAP-000123/disclosures').set('Authorization', bearer('all'));
    await request(app).get('/patients/KAP-000123/disclosures'); // 401
    world.ingest.explodeWith = new Error(
      `mapping failed for ${records.referral.client.name.given[0]} ${records.referral.client.name.family}, born ${records.referral.client.birthDate}, ${records.referral.client.email}`,
    );
    await ingest('/referrals', records.referral);
    await request(app)
      .post('/fhir')
      .set('Authorization', bearer('all'))
      .set('Content-Type', FHIR)
      .send(JSON.stringify(records.transaction));
  });

  test('every request is logged with method, route template, status, duration, key name and request id', () => {
    const lines = world.log.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'request');
    expect(lines).toHaveLength(14);
    expect(lines.map((l) => `${l.status} ${l.route}`)).toEqual([
      '201 /referrals',
      '200 /referrals',
      '200 /referrals',
      '201 /consents',
      '201 /consents/:id/revoke',
      '201 /integration-updates',
      '422 /integration-updates',
      '200 /fhir',
      '200 /fhir/$validate',
      '400 /integration-updates',
      '200 /patients/:mrn/disclosures',
      '401 /patients/:mrn/disclosures',
      '500 /referrals',
      '500 /fhir',
    ]);
    for (const l of lines) {
      expect(l).toMatchObject({
        method: expect.any(String),
        reqId: expect.any(String),
        durationMs: expect.any(Number),
      });
    }
    expect(lines[0]!.keyName).toBe('all');
  });

  test('unexpected errors are logged by type and frames, without their message', () => {
    const errors = world.log.lines.filter((l) => l.includes('unexpected error'));
    expect(errors).toHaveLength(2);
    expect(JSON.parse(errors[0]!)).toMatchObject({ errType: 'Error', route: '/referrals' });
  });

  test.each(phi.values)('no log line contains the PHI value "%s"', (value) => {
    expect(world.log.text).not.toContain(value);
  });

  test('the redact config blanks PHI fields a careless log call passes', () => {
    const log = new MemoryLog();
    const logger = createLogger({ destination: log });
    logger.info({ client: records.referral.client, body: records.update, update: records.update }, 'oops');
    logger.info({ headers: { authorization: 'Bearer secret-key-value' } }, 'oops');
    for (const value of [...phi.values, 'secret-key-value']) expect(log.text).not.toContain(value);
    expect(log.text).toContain('[redacted]');
  });
});
