import type { Communication } from '@medplum/fhirtypes';
import refused from '../../fixtures/ingest/refused.json';
import { databaseFingerprint, loadRecord, openIngestHarness, type IngestHarness } from './ingest-harness';
import { runScenario, scenarios } from './ingest-scenario';

let h: IngestHarness;
beforeEach(async () => (h = await openIngestHarness()));
afterEach(() => h.dispose());

describe('ingest scenarios over the fixture records', () => {
  test.each(scenarios)('$situation', ({ steps }) => runScenario(h, steps));
});

describe('refused records change nothing', () => {
  test.each(refused)('$situation', async (c) => {
    h.setNow('2026-11-21T12:00:00-08:00');
    for (const before of c.before) {
      const [kind, file] = before.split(':') as [string, string];
      expect((await h.run(kind, loadRecord(file))).status).toBe('created');
    }
    const snapshot = databaseFingerprint(h.file);
    const input = 'input' in c ? c.input : loadRecord(c.file as string, 'patch' in c ? c.patch : undefined);
    const result = await h.run(c.kind, input);
    expect(result.status).toBe('rejected');
    expect(result.outbox).toEqual([]);
    const errors = result.outcome.issue.filter((i) => i.severity === 'error' || i.severity === 'fatal');
    expect(errors.length).toBeGreaterThan(0);
    if ('expression' in c) expect(errors.flatMap((i) => i.expression ?? [])).toContain(c.expression);
    expect(databaseFingerprint(h.file)).toEqual(snapshot);
  });
});

describe('ingest details', () => {
  test('the same record posted with its keys in another order is unchanged', async () => {
    const referral = loadRecord('referral-self.json') as Record<string, unknown>;
    expect((await h.ingest.referral(referral)).status).toBe('created');
    const reordered = Object.fromEntries(Object.entries(referral).reverse());
    const again = await h.ingest.referral(reordered);
    expect(again.status).toBe('unchanged');
    expect(await h.store.listOutbox()).toHaveLength(1);
  });

  test('a referral naming an unregistered destination is stored with a warning', async () => {
    await h.dispose();
    h = await openIngestHarness({ knownDestinations: (id) => id === 'default-dest' });
    const result = await h.ingest.referral(loadRecord('referral-clinician-full.json'));
    expect(result.status).toBe('created');
    expect(
      result.outcome.issue.some(
        (i) => i.severity === 'warning' && i.expression?.[0] === 'referringClinician.destination',
      ),
    ).toBe(true);
  });

  test('a referral naming no destination, when the default destination is not registered, is stored with a warning', async () => {
    await h.dispose();
    h = await openIngestHarness({ knownDestinations: (id) => id === 'lakeside-ehr' });
    const result = await h.ingest.referral(loadRecord('referral-self.json'));
    expect(result.status).toBe('created');
    const warnings = result.outcome.issue.filter((i) => i.severity === 'warning');
    expect(warnings.map((i) => i.details?.text)).toEqual([
      'the default destination "default-dest" is not registered: items for it will wait until it is configured',
    ]);
  });

  test('a referral naming no destination, when the default destination is registered, has no warning', async () => {
    await h.dispose();
    h = await openIngestHarness({ knownDestinations: (id) => id === 'default-dest' });
    const result = await h.ingest.referral(loadRecord('referral-self.json'));
    expect(result.outcome.issue.filter((i) => i.severity === 'warning')).toEqual([]);
  });

  test('a revocation dated within the 5-minute clock skew of now is accepted', async () => {
    h.setNow('2026-11-28T15:00:00-08:00');
    await h.ingest.referral(loadRecord('referral-clinician-full.json'));
    await h.ingest.consent(loadRecord('consent-client-full.json'));
    const result = await h.ingest.revocation(
      loadRecord('revocation.json', { revokedAt: '2026-11-28T15:04:59-08:00' }),
    );
    expect(result.status).toBe('created');
  });

  test('a revocation dated in the future is refused with 422-class outcome naming revokedAt, and the Consent stays active', async () => {
    h.setNow('2026-11-26T09:00:00-08:00');
    await h.ingest.referral(loadRecord('referral-clinician-full.json'));
    await h.ingest.consent(loadRecord('consent-client-full.json'));
    const result = await h.ingest.revocation(loadRecord('revocation.json'));
    expect(result.status).toBe('rejected');
    expect(result.outcome.issue.map((i) => [i.code, i.expression])).toEqual([
      ['business-rule', ['revokedAt']],
    ]);
    expect((await h.store.getResource('Consent', 'consent-CON-2026-0042-1'))?.resource).toMatchObject({
      status: 'active',
    });
  });

  test('a revocation posted for a consent id in the path is stored like the file form', async () => {
    h.setNow('2026-11-28T15:10:00-08:00');
    await h.ingest.referral(loadRecord('referral-clinician-full.json'));
    await h.ingest.consent(loadRecord('consent-client-full.json'));
    const { consentId, ...body } = loadRecord('revocation.json') as Record<string, unknown>;
    const result = await h.ingest.revoke(String(consentId), body);
    expect(result.status).toBe('created');
    expect((await h.store.getResource('Consent', 'consent-CON-2026-0042-1'))?.resource).toMatchObject({
      status: 'inactive',
    });
  });

  test('when referral status is not shared at ingest, the stored Communication still references the ServiceRequest literally', async () => {
    h.setNow('2026-11-20T19:00:00-08:00');
    await h.ingest.referral(loadRecord('referral-clinician-full.json'));
    await h.ingest.consent(
      loadRecord('consent-client-full.json', { share: ['session-focus', 'integration-suggestions'] }),
    );
    expect((await h.ingest.update(loadRecord('update-all-observations.json'))).status).toBe('created');
    const stored = await h.store.getResource('Communication', 'update-UPD-2026-0042-03');
    expect((stored?.resource as Communication | undefined)?.basedOn).toEqual([
      { reference: 'ServiceRequest/referral-REF-2026-0042' },
    ]);
  });
});
