import { readDisclosureLog } from '../../src/app/disclosure-log';
import type { Communication, Consent } from '@medplum/fhirtypes';
import { createOutboxOperations } from '../../src/app/outbox-operations';
import { buildDisclosureLog } from '../../src/audit/disclosure-log';
import { createSyncScheduler } from '../../src/entry/schedule/sync-scheduler';
import {
  CONSENT_ID,
  ingestReferralConsentUpdate,
  openRelayHarness,
  record,
  sandboxSearch,
  UPDATE_ID,
  type RelayHarness,
} from './relay-harness';

let h: RelayHarness;
beforeEach(async () => (h = await openRelayHarness()));
afterEach(() => h.dispose());

const shareCodes = (c: Record<string, unknown>): string[] =>
  ((c as unknown as Communication).payload ?? []).map((p) => p.extension?.[0]?.valueCoding?.code ?? '?');

describe('relay against the sandbox over HTTP', () => {
  test('referral + partial consent + update: the sandbox holds exactly one Communication with only the permitted sections, and a second sync sends nothing more', async () => {
    await ingestReferralConsentUpdate(h);
    h.clock.set('2026-11-20T19:05:00-08:00');
    const first = await h.relay().drain();
    expect(first).toMatchObject({ leased: 2, delivered: 2, withheld: 0, dead: 0, retried: 0 });

    const comms = await sandboxSearch(h, 'Communication', UPDATE_ID);
    expect(comms).toHaveLength(1);
    const comm = comms[0] as unknown as Communication;
    expect(shareCodes(comms[0]!)).toEqual(['session-focus', 'integration-suggestions']);
    expect(JSON.stringify(comm)).not.toContain('Emotional:');
    // referral-status is not shared: basedOn is logical (placer id), and no ServiceRequest went.
    expect(comm.basedOn).toMatchObject([
      {
        type: 'ServiceRequest',
        identifier: { system: 'https://ehr.lakeside.example/referrals', value: 'LP-7781' },
      },
    ]);
    expect(comm.basedOn?.[0]?.reference).toBeUndefined();
    expect(await sandboxSearch(h, 'ServiceRequest')).toHaveLength(0);
    expect(await sandboxSearch(h, 'Consent', CONSENT_ID)).toHaveLength(1);
    // The Patient was matched on the referrer's own patient id.
    const patients = await sandboxSearch(h, 'Patient', {
      system: 'https://ehr.lakeside.example/patients',
      value: '88231',
    });
    expect(patients).toHaveLength(1);
    expect(comm.subject?.reference).toBe(`Patient/${String(patients[0]?.id)}`);

    h.clock.set('2026-11-20T19:30:00-08:00');
    expect(await h.relay().drain()).toMatchObject({ leased: 0 });
    expect(await sandboxSearch(h, 'Communication', UPDATE_ID)).toHaveLength(1);

    const rows = await h.store.listOutbox({ patientMrn: 'KAP-000123' });
    expect(rows.map((r) => [r.resourceType, r.state]).sort()).toEqual([
      ['Communication', 'delivered'],
      ['Consent', 'delivered'],
      ['ServiceRequest', 'withheld'],
    ]);
    const log = buildDisclosureLog(
      (await h.store.listAudit({ patientMrn: 'KAP-000123' })).map((a) => a.event),
    );
    expect(log.map((e) => [e.what[0]?.split('/')[0], e.sections.join(' '), e.recipientNpi]).sort()).toEqual([
      ['Communication', 'session-focus integration-suggestions', '1234567893'],
      ['Consent', 'session-focus integration-suggestions', '1234567893'],
    ]);
  });

  test('with referral-status shared, the ServiceRequest is sent on the placer id and the Communication references it literally', async () => {
    await ingestReferralConsentUpdate(h, {});
    h.clock.set('2026-11-20T19:05:00-08:00');
    expect(await h.relay().drain()).toMatchObject({ delivered: 3, dead: 0 });
    const srs = await sandboxSearch(h, 'ServiceRequest');
    expect(srs).toHaveLength(1);
    const comm = (await sandboxSearch(h, 'Communication', UPDATE_ID))[0] as unknown as Communication;
    expect(comm.basedOn).toEqual([{ reference: `ServiceRequest/${String(srs[0]?.id)}` }]);
    expect(shareCodes(comm as unknown as Record<string, unknown>)).toEqual([
      'session-focus',
      'observations',
      'integration-suggestions',
    ]);
  });

  test('when a later consent shares referral status, an update stored before it is delivered with a literal basedOn and the ServiceRequest is on the sandbox', async () => {
    await ingestReferralConsentUpdate(h); // partial consent: referral-status not shared at ingest
    await h.run(
      'consent',
      record('consent-client-full.json', {
        id: 'CON-2026-0042-2',
        signedAt: '2026-11-21T10:00:00-08:00',
      }),
      '2026-11-21T10:05:00-08:00',
    );
    h.clock.set('2026-11-21T10:10:00-08:00');
    expect(await h.relay().drain()).toMatchObject({ dead: 0 });

    const srs = await sandboxSearch(h, 'ServiceRequest');
    expect(srs).toHaveLength(1);
    const comm = (await sandboxSearch(h, 'Communication', UPDATE_ID))[0] as unknown as Communication;
    expect(comm.basedOn).toEqual([{ reference: `ServiceRequest/${String(srs[0]?.id)}` }]);
  });

  test('when the consent is revoked while the update waits, nothing of it is sent, it is withheld, and the inactive Consent goes out', async () => {
    await h.run('referral', record('referral-clinician-full.json'), '2026-11-03T09:00:00-08:00');
    await h.run('consent', record('consent-client-full.json'), '2026-11-05T11:00:00-08:00');
    h.clock.set('2026-11-05T11:05:00-08:00');
    expect(await h.relay().drain()).toMatchObject({ delivered: 2 }); // Consent + ServiceRequest
    await h.run('update', record('update-all-observations.json'), '2026-11-20T19:00:00-08:00');
    h.proxy.enqueue({ kind: 'status', status: 503 }, { match: { method: 'POST' } });
    h.clock.set('2026-11-20T19:01:00-08:00');
    expect(await h.relay().drain()).toMatchObject({ retried: 1 });
    await h.run('revocation', record('revocation.json'), '2026-11-28T15:10:00-08:00');
    h.clock.set('2026-11-28T15:11:00-08:00');
    expect(await h.relay().drain()).toMatchObject({ delivered: 1, withheld: 0 });

    expect(await sandboxSearch(h, 'Communication', UPDATE_ID)).toHaveLength(0);
    const consents = await sandboxSearch(h, 'Consent', CONSENT_ID);
    expect(consents.map((c) => c.status)).toEqual(['inactive']);
    const rows = await h.store.listOutbox({ patientMrn: 'KAP-000123' });
    expect(rows.find((r) => r.resourceType === 'Communication')?.state).toBe('withheld');
  });

  test('when the consent turns inactive between queueing and sending, the relay withholds the update itself: nothing is sent and the AuditEvent says withheld', async () => {
    await ingestReferralConsentUpdate(h);
    // A revocation stored without re-evaluating the queue (as a concurrent writer would leave it):
    // only the relay's own re-check stands between the row and the destination.
    const consent = await h.store.getResource('Consent', 'consent-CON-2026-0042-1');
    const inactive = { ...(consent!.resource as Consent), status: 'inactive' as const, meta: {} };
    await h.store.putResource(
      { ...inactive, id: 'consent-CON-2026-0042-1' },
      'KAP-000123',
      new Date('2026-11-20T03:10:00Z'),
    );
    h.clock.set('2026-11-20T19:05:00-08:00');
    const summary = await h.relay().drain();
    // The queued active Consent version is withheld too: it no longer tells the truth.
    expect(summary).toMatchObject({ leased: 2, withheld: 2, delivered: 0 });
    expect(await sandboxSearch(h, 'Communication', UPDATE_ID)).toHaveLength(0);
    expect(await sandboxSearch(h, 'Consent', CONSENT_ID)).toHaveLength(0);
    const audits = (await h.store.listAudit({ patientMrn: 'KAP-000123' })).map((a) => a.event);
    const withheld = audits.filter((e) =>
      e.entity?.some((en) => en.what?.reference?.startsWith('Communication/')),
    );
    expect(withheld).toHaveLength(1);
    expect(withheld[0]).toMatchObject({ outcome: '4', outcomeDesc: 'withheld: consent denies' });
    expect(withheld[0]?.agent?.[0]?.policy).toEqual(['Consent/consent-CON-2026-0042-1/_history/2']);
  });

  test('after the consent period has ended, queued items go back to awaiting-consent and nothing is sent', async () => {
    await ingestReferralConsentUpdate(h);
    h.clock.set('2027-06-01T10:00:00-07:00');
    expect(await h.relay().drain()).toMatchObject({ leased: 2, awaiting: 2, delivered: 0 });
    expect(await sandboxSearch(h, 'Communication', UPDATE_ID)).toHaveLength(0);
    expect(h.proxy.requests.filter((r) => r.method !== 'GET')).toHaveLength(0);
    const rows = await h.store.listOutbox({ patientMrn: 'KAP-000123', state: 'awaiting-consent' });
    expect(rows.map((r) => r.resourceType).sort()).toEqual(['Communication', 'Consent']);
    // No disclosure attempt was made, so there is no disclosure AuditEvent either.
    const disclosureAudits = (await h.store.listAudit({ patientMrn: 'KAP-000123' })).filter(
      (a) => a.event.type?.code === '110106',
    );
    expect(disclosureAudits).toHaveLength(0);
  });

  test('operators: a dead item retried goes out once; a delivered item replayed stays one copy on the destination', async () => {
    await ingestReferralConsentUpdate(h);
    h.proxy.enqueue({ kind: 'status', status: 422 }, { match: { method: 'POST' }, times: 2 });
    h.clock.set('2026-11-20T19:05:00-08:00');
    expect(await h.relay().drain()).toMatchObject({ dead: 2 });
    const ops = createOutboxOperations({ store: h.store, clock: () => h.clock.now });
    const dead = await ops.list({ state: 'dead' }, 'test');
    // Retrying the destination also re-queues the withheld ServiceRequest: the relay decides
    // consent again and withholds it again.
    expect(await ops.retryDestination('lakeside-ehr')).toHaveLength(3);
    expect(await h.relay().drain()).toMatchObject({ delivered: 2, withheld: 1 });
    expect(await sandboxSearch(h, 'ServiceRequest')).toHaveLength(0);
    const comm = (await ops.list({ state: 'delivered' }, 'test')).find(
      (r) => r.resourceType === 'Communication',
    )!;
    expect(dead.map((r) => r.id)).toContain(comm.id);
    const logBefore = await readDisclosureLog(
      { store: h.store, clock: () => h.clock.now },
      'KAP-000123',
      'test',
      {
        recordAccess: false,
      },
    );
    expect(await ops.replay(comm.id)).toMatchObject({ state: 'queued' });
    h.clock.set('2026-11-20T19:30:00-08:00');
    expect(await h.relay().drain()).toMatchObject({ delivered: 1 });
    expect(await sandboxSearch(h, 'Communication', UPDATE_ID)).toHaveLength(1);
    // The replay was answered "already there": it disclosed nothing new, so the log is unchanged.
    const logAfter = await readDisclosureLog(
      { store: h.store, clock: () => h.clock.now },
      'KAP-000123',
      'test',
      {
        recordAccess: false,
      },
    );
    expect(logAfter.entries).toEqual(logBefore.entries);
  });

  test('single-flight: cron ticks while a sync is still pushing do nothing, and the item goes out once', async () => {
    await ingestReferralConsentUpdate(h);
    h.clock.set('2026-11-20T19:05:00-08:00');
    h.proxy.enqueue({ kind: 'delay', ms: 300 }, { match: { method: 'POST' }, times: Infinity });
    let syncs = 0;
    const relay = h.relay();
    const scheduler = createSyncScheduler({
      sync: () => {
        syncs++;
        return relay.drain();
      },
      cron: { schedule: () => ({ stop: () => undefined }) },
    });
    const first = scheduler.tick();
    const overlapping = await Promise.all([scheduler.tick(), scheduler.tick()]);
    expect(overlapping).toEqual([{ kind: 'skipped' }, { kind: 'skipped' }]);
    expect(await first).toMatchObject({ kind: 'completed', result: { delivered: 2 } });
    expect(syncs).toBe(1);
    expect(await sandboxSearch(h, 'Communication', UPDATE_ID)).toHaveLength(1);
  });
});
