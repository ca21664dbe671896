import type { OperationOutcome } from '@medplum/fhirtypes';
import request from 'supertest';
import { createApp } from '../../src/entry/http/app';
import { ingestPort } from '../../src/bootstrap/service-ports';
import { openRelayHarness, record, type RelayHarness } from '../delivery/relay-harness';
import { bearer, makeWorld } from '../http/support/ports';
import {
  consentSentThenRevoked,
  consentVersions,
  defineConsentLifecycleTests,
  drainAt,
  sandboxConsent,
  storeSnapshot,
} from './consent-lifecycle-cases';

/** DESIGN.md §5 "Consent lifecycle" on SQLite (the PostgreSQL run is consent-lifecycle-postgres). */
describe('consent lifecycle on SQLite', () => {
  defineConsentLifecycleTests(() => openRelayHarness());
});

/**
 * Over HTTP: the express app with the real ingest port on the harness's use cases (the relay is
 * run by the test, not kicked in the background).
 */
describe('consent lifecycle over HTTP', () => {
  let h: RelayHarness;
  beforeEach(async () => (h = await openRelayHarness()));
  afterEach(() => h.dispose());

  const post = (path: string, body: unknown) =>
    request(createApp(makeWorld({ ingest: ingestPort(h, () => undefined) }).deps))
      .post(path)
      .set('Authorization', bearer('ingest'))
      .send(body as object);

  test('POST /consents of a revoked consent: the same record answers 200 unchanged, a changed one 409 conflict with nothing stored', async () => {
    await consentSentThenRevoked(h);
    h.clock.set('2026-11-12T09:00:00-08:00');
    const same = await post('/consents', record('consent-client-full.json'));
    expect([same.status, same.body.status]).toEqual([200, 'unchanged']);

    const before = await storeSnapshot(h);
    const changed = await post('/consents', record('consent-client-full.json', { share: ['session-focus'] }));
    expect(changed.status).toBe(409);
    expect(changed.type).toBe('application/fhir+json');
    const oo = changed.body as OperationOutcome;
    expect(oo.issue.map((i) => [i.severity, i.code, i.expression])).toEqual([['error', 'conflict', ['id']]]);
    expect(oo.issue[0]?.details?.text).toContain('a revocation is final');
    expect(await storeSnapshot(h)).toEqual(before);

    await drainAt(h, '2026-11-12T09:05:00-08:00');
    expect(await consentVersions(h, 'CON-2026-0042-1')).toEqual(['active', 'inactive']);
    expect(await sandboxConsent(h, 'CON-2026-0042-1')).toEqual(['inactive']);
  });
});
