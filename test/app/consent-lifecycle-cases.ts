import type { Communication, Consent } from '@medplum/fhirtypes';
import type { IngestResult } from '../../src/app';
import type { OutboxRow } from '../../src/app/ports/store-port';
import { CONSENT_ID, record, sandboxSearch, UPDATE_ID, type RelayHarness } from '../delivery/relay-harness';

/**
 * The consent lifecycle rules (DESIGN.md §5 "Consent lifecycle"), one test per rule, run against
 * the real ingest use cases, a real store (SQLite or PostgreSQL, given by the caller), the relay
 * and the sandbox FHIR server over HTTP. Each test asserts the stored Consent versions, the
 * outbox rows and what the sandbox holds after a delivery run.
 *
 * Fixture client KAP-000123 was referred by NPI 1234567893 (REF-2026-0042, 11-03) and signed
 * CON-2026-0042-1 on 11-05 sharing everything.
 */

export const MRN = 'KAP-000123';
const CONSENT = 'CON-2026-0042-1';
const SID = 'https://kap-bridge.example/fhir/sid';
const consentSid = (value: string) => ({ system: `${SID}/consent`, value });
const updateSid = (value: string) => ({ system: `${SID}/integration-update`, value });

/** The revocation of CON-2026-0042-1, received on 11-10. */
export const REVOCATION = record('revocation.json', { revokedAt: '2026-11-10T09:00:00-08:00' });

/** A consent of the fixture client for the fixture clinician under a new id. */
export function newConsent(id: string, signedAt: string, share: string[]): unknown {
  return record('consent-client-full.json', {
    id,
    signedAt,
    validFrom: signedAt.slice(0, 10),
    share,
    document: { url: `https://docs.practice.example/consents/${id}.pdf`, contentType: 'application/pdf' },
  });
}

/** An integration update of the fixture referral for a session on `day` (2026-11-DD). */
export function update(id: string, day: number): unknown {
  const date = `2026-11-${String(day).padStart(2, '0')}`;
  return record('update-all-observations.json', {
    id,
    sessionDate: date,
    writtenAt: `${date}T18:40:00-08:00`,
  });
}

/** Referral + full consent, delivered (the clinician holds the active Consent), then revoked on 11-10 and delivered. */
export async function consentSentThenRevoked(h: RelayHarness): Promise<void> {
  await h.run('referral', record('referral-clinician-full.json'), '2026-11-03T09:00:00-08:00');
  await h.run('consent', record('consent-client-full.json'), '2026-11-05T11:00:00-08:00');
  await drainAt(h, '2026-11-05T11:05:00-08:00');
  await h.run('revocation', REVOCATION, '2026-11-10T09:05:00-08:00');
  await drainAt(h, '2026-11-10T09:10:00-08:00');
}

export async function drainAt(h: RelayHarness, at: string) {
  h.clock.set(at);
  return h.relay().drain();
}

/** Ingests at `at` without failing on a refusal (the caller asserts the result). */
export function ingestAt(
  h: RelayHarness,
  kind: 'consent' | 'revocation' | 'update',
  input: unknown,
  at: string,
) {
  h.clock.set(at);
  return h.ingest[kind](input) as Promise<IngestResult>;
}

/** Status of every stored version of a Consent, oldest first. */
export async function consentVersions(h: RelayHarness, consentId: string): Promise<string[]> {
  const id = `consent-${consentId}`;
  const latest = await h.store.getResource('Consent', id);
  const out: string[] = [];
  for (let v = 1; v <= (latest?.versionId ?? 0); v++) {
    const s = await h.store.getResource('Consent', id, v);
    out.push((s?.resource as Consent).status);
  }
  return out;
}

/** Statuses of the Consent with business id `consentId` on the sandbox. */
export async function sandboxConsent(h: RelayHarness, consentId: string): Promise<string[]> {
  return (await sandboxSearch(h, 'Consent', consentSid(consentId))).map((c) => String(c.status));
}

/** Share codes of the sections of the Communications for `updateId` on the sandbox. */
export async function sandboxSections(h: RelayHarness, updateId: string): Promise<string[][]> {
  return (await sandboxSearch(h, 'Communication', updateSid(updateId))).map((c) =>
    ((c as unknown as Communication).payload ?? []).map((p) => p.extension?.[0]?.valueCoding?.code ?? '?'),
  );
}

const rowOf = (rows: OutboxRow[], type: string, id: string) =>
  rows.filter((r) => r.resourceType === type && r.resourceId === id).map((r) => [r.resourceVersion, r.state]);

/** The client's outbox rows of one resource, as [version, state]. */
export async function rows(h: RelayHarness, type: string, id: string, mrn = MRN) {
  return rowOf(await h.store.listOutbox({ patientMrn: mrn }), type, id);
}

/** Everything stored about the client, through the store port: a refusal must leave it equal. */
export async function storeSnapshot(h: RelayHarness, mrn = MRN): Promise<unknown> {
  const types = ['Consent', 'Patient', 'Practitioner', 'Organization', 'Provenance', 'ServiceRequest'];
  const resources = [];
  for (const resourceType of types) {
    for (const r of await h.store.listResources({ resourceType }))
      resources.push(`${r.resourceType}/${r.id}/${r.versionId}`);
  }
  return {
    records: (await h.store.listRecords({ patientMrn: mrn })).map((r) => [
      r.kind,
      r.id,
      r.version,
      r.contentHash,
    ]),
    resources,
    outbox: (await h.store.listOutbox({ patientMrn: mrn })).map((r) => [r.id, r.state, r.resourceVersion]),
    audit: (await h.store.listAudit({ patientMrn: mrn })).length,
  };
}

/** Defines the lifecycle tests on harnesses from `open` (one per test). */
export function defineConsentLifecycleTests(open: () => Promise<RelayHarness>): void {
  let h: RelayHarness;
  beforeEach(async () => (h = await open()));
  afterEach(() => h.dispose());

  test('a revoked consent re-posted with the content already stored is unchanged: it stays revoked here and on the clinician’s server', async () => {
    await consentSentThenRevoked(h);
    const again = await ingestAt(
      h,
      'consent',
      record('consent-client-full.json'),
      '2026-11-12T09:00:00-08:00',
    );
    expect(again.status).toBe('unchanged');
    expect([again.outbox, again.changed]).toEqual([[], []]);
    expect(await consentVersions(h, CONSENT)).toEqual(['active', 'inactive']);
    expect(await drainAt(h, '2026-11-12T09:05:00-08:00')).toMatchObject({ leased: 0 });
    expect(await sandboxConsent(h, CONSENT)).toEqual(['inactive']);
  });

  test('a revoked consent re-posted with changed content is refused as a conflict, nothing is stored, and the next update is withheld, not sent', async () => {
    await consentSentThenRevoked(h);
    const before = await storeSnapshot(h);
    const changed = record('consent-client-full.json', { share: ['session-focus', 'observations'] });
    const res = await ingestAt(h, 'consent', changed, '2026-11-12T09:00:00-08:00');
    expect(res.status).toBe('rejected');
    expect(res.outcome.issue.map((i) => [i.code, i.expression])).toEqual([['conflict', ['id']]]);
    expect(await storeSnapshot(h)).toEqual(before);
    expect(await consentVersions(h, CONSENT)).toEqual(['active', 'inactive']);

    const next = await ingestAt(h, 'update', update('UPD-2026-0042-03', 20), '2026-11-20T19:00:00-08:00');
    expect(next.outbox.map((r) => r.state)).toEqual(['withheld']);
    await drainAt(h, '2026-11-20T19:05:00-08:00');
    expect(await sandboxConsent(h, CONSENT)).toEqual(['inactive']);
    expect(await sandboxSearch(h, 'Communication', UPDATE_ID)).toHaveLength(0);
  });

  test('a revocation also ends an older consent of the client for the same recipient: it turns inactive on the clinician’s server and nothing more is shared', async () => {
    await h.run('referral', record('referral-clinician-full.json'), '2026-11-03T09:00:00-08:00');
    await h.run('consent', record('consent-client-full.json'), '2026-11-05T11:00:00-08:00');
    // A second consent, signed later (narrower), supersedes the first and is sent.
    await h.run(
      'consent',
      newConsent('CON-2026-0042-3', '2026-11-07T10:00:00-08:00', ['session-focus']),
      '2026-11-07T10:30:00-08:00',
    );
    await drainAt(h, '2026-11-07T10:35:00-08:00');
    expect(await sandboxConsent(h, 'CON-2026-0042-3')).toEqual(['active']);

    // The client revokes the consent she remembers (the first one) on 11-10.
    const revoked = await ingestAt(h, 'revocation', REVOCATION, '2026-11-10T09:05:00-08:00');
    expect(revoked.status).toBe('created');
    expect(revoked.headline).toContain('also ended (signed before the revocation): CON-2026-0042-3');
    expect(await consentVersions(h, 'CON-2026-0042-3')).toEqual(['active', 'inactive']);
    expect(await rows(h, 'Consent', 'consent-CON-2026-0042-3')).toEqual([
      [1, 'delivered'],
      [2, 'queued'],
    ]);
    const next = await ingestAt(h, 'update', update('UPD-2026-0042-03', 20), '2026-11-20T19:00:00-08:00');
    expect(next.outbox.map((r) => r.state)).toEqual(['withheld']);
    await drainAt(h, '2026-11-20T19:05:00-08:00');
    expect(await sandboxConsent(h, 'CON-2026-0042-3')).toEqual(['inactive']);
    expect(await sandboxConsent(h, CONSENT)).toEqual(['inactive']);
    expect(await sandboxSearch(h, 'Communication', UPDATE_ID)).toHaveLength(0);
  });

  test('a consent signed before the revocation but recorded after it is stored inactive, governs nothing and sends nothing new', async () => {
    await consentSentThenRevoked(h);
    const late = newConsent('CON-2026-0042-4', '2026-11-08T10:00:00-08:00', [
      'session-focus',
      'observations',
    ]);
    const res = await ingestAt(h, 'consent', late, '2026-11-12T09:00:00-08:00');
    expect(res.status).toBe('created');
    expect([res.outbox, res.changed]).toEqual([[], []]);
    expect(res.headline).toContain('stored as inactive (superseded');
    expect(await consentVersions(h, 'CON-2026-0042-4')).toEqual(['inactive']);

    const next = await ingestAt(h, 'update', update('UPD-2026-0042-03', 20), '2026-11-20T19:00:00-08:00');
    expect(next.outbox.map((r) => r.state)).toEqual(['withheld']);
    await drainAt(h, '2026-11-20T19:05:00-08:00');
    expect(await sandboxConsent(h, 'CON-2026-0042-4')).toEqual([]);
    expect(await sandboxConsent(h, CONSENT)).toEqual(['inactive']);
    expect(await sandboxSearch(h, 'Communication', UPDATE_ID)).toHaveLength(0);
  });

  test('a consent signed before the newest consent on file but recorded after it is stored inactive and never sent; the newer, narrower consent still governs', async () => {
    await h.run('referral', record('referral-clinician-full.json'), '2026-11-03T09:00:00-08:00');
    await h.run(
      'consent',
      newConsent('CON-2026-0042-3', '2026-11-07T10:00:00-08:00', ['session-focus']),
      '2026-11-07T10:30:00-08:00',
    );
    // The full consent of 11-05 is entered only on 11-08.
    const res = await ingestAt(h, 'consent', record('consent-client-full.json'), '2026-11-08T09:00:00-08:00');
    expect(res.status).toBe('created');
    expect([res.outbox, res.changed]).toEqual([[], []]);
    expect(await consentVersions(h, CONSENT)).toEqual(['inactive']);
    expect(await consentVersions(h, 'CON-2026-0042-3')).toEqual(['active']);
    expect(await rows(h, 'Consent', `consent-${CONSENT}`)).toEqual([]);

    await h.run('update', update('UPD-2026-0042-03', 20), '2026-11-20T19:00:00-08:00');
    await drainAt(h, '2026-11-20T19:05:00-08:00');
    expect(await sandboxConsent(h, CONSENT)).toEqual([]);
    expect(await sandboxConsent(h, 'CON-2026-0042-3')).toEqual(['active']);
    expect(await sandboxSections(h, 'UPD-2026-0042-03')).toEqual([['session-focus']]);
  });

  test('a new consent id signed after the revocation resumes sharing under its own terms, and the revoked consent stays inactive', async () => {
    await consentSentThenRevoked(h);
    const fresh = newConsent('CON-2026-0042-5', '2026-11-12T10:00:00-08:00', ['session-focus']);
    const res = await ingestAt(h, 'consent', fresh, '2026-11-12T10:30:00-08:00');
    expect(res.status).toBe('created');
    expect(res.outbox.map((r) => [r.resourceType, r.state])).toEqual([['Consent', 'queued']]);
    expect(await consentVersions(h, 'CON-2026-0042-5')).toEqual(['active']);

    await h.run('update', update('UPD-2026-0042-03', 20), '2026-11-20T19:00:00-08:00');
    await drainAt(h, '2026-11-20T19:05:00-08:00');
    expect(await sandboxConsent(h, 'CON-2026-0042-5')).toEqual(['active']);
    expect(await sandboxConsent(h, CONSENT)).toEqual(['inactive']);
    expect(await consentVersions(h, CONSENT)).toEqual(['active', 'inactive']);
    expect(await sandboxSections(h, 'UPD-2026-0042-03')).toEqual([['session-focus']]);
  });

  test('a revocation for one clinician leaves the client’s consent for another clinician active, and that clinician still receives updates', async () => {
    const other = {
      npi: '1458932047',
      name: { given: ['Priya'], family: 'Raman', suffix: ['LCSW'] },
      role: 'psychotherapist',
      destination: 'lakeside-ehr',
    };
    await h.run('referral', record('referral-clinician-full.json'), '2026-11-03T09:00:00-08:00');
    await h.run(
      'referral',
      record('referral-clinician-full.json', {
        id: 'REF-2026-0099',
        receivedAt: '2026-11-04T09:00:00-08:00',
        referringClinician: other,
      }),
      '2026-11-04T09:10:00-08:00',
    );
    await h.run('consent', record('consent-client-full.json'), '2026-11-05T11:00:00-08:00');
    const forOther = record('consent-client-full.json', {
      id: 'CON-2026-0099-1',
      referralId: 'REF-2026-0099',
      recipientNpi: '1458932047',
      share: ['session-focus'],
      signedAt: '2026-11-06T10:00:00-08:00',
      validFrom: '2026-11-06',
    });
    await h.run('consent', forOther, '2026-11-06T10:30:00-08:00');
    await drainAt(h, '2026-11-06T10:35:00-08:00');

    const revoked = await ingestAt(h, 'revocation', REVOCATION, '2026-11-10T09:05:00-08:00');
    expect(revoked.headline).not.toContain('also ended');
    expect(await consentVersions(h, 'CON-2026-0099-1')).toEqual(['active']);
    await h.run('update', update('UPD-2026-0042-03', 20), '2026-11-20T19:00:00-08:00');
    await h.run(
      'update',
      record('update-all-observations.json', { id: 'UPD-2026-0099-01', referralId: 'REF-2026-0099' }),
      '2026-11-20T19:01:00-08:00',
    );
    await drainAt(h, '2026-11-20T19:05:00-08:00');

    expect(await sandboxConsent(h, CONSENT)).toEqual(['inactive']);
    expect(await sandboxConsent(h, 'CON-2026-0099-1')).toEqual(['active']);
    expect(await rows(h, 'Communication', 'update-UPD-2026-0042-03')).toEqual([[1, 'withheld']]);
    expect(await sandboxSearch(h, 'Communication', UPDATE_ID)).toHaveLength(0);
    expect(await sandboxSections(h, 'UPD-2026-0099-01')).toEqual([['session-focus']]);
  });

  test('an update withheld because the client said no stays withheld when a later consent permits it, and is never sent; a new update is', async () => {
    await h.run('referral', record('referral-clinician-full.json'), '2026-11-03T09:00:00-08:00');
    await h.run(
      'consent',
      record('consent-deny.json', { validFrom: '2026-11-05', signedAt: '2026-11-05T10:00:00-08:00' }),
      '2026-11-05T11:00:00-08:00',
    );
    const refused = await ingestAt(h, 'update', update('UPD-2026-0042-03', 20), '2026-11-20T19:00:00-08:00');
    expect(refused.outbox.map((r) => r.state)).toEqual(['withheld']);

    const yes = newConsent('CON-2026-0042-6', '2026-11-21T10:00:00-08:00', [
      'referral-status',
      'session-focus',
      'observations',
      'integration-suggestions',
    ]);
    const res = await ingestAt(h, 'consent', yes, '2026-11-21T10:30:00-08:00');
    expect(res.status).toBe('created');
    expect(res.changed.filter((r) => r.resourceType === 'Communication')).toEqual([]);
    expect(await rows(h, 'Communication', 'update-UPD-2026-0042-03')).toEqual([[1, 'withheld']]);
    // The ServiceRequest was waiting for a consent (the refusal denied it): it is withheld too.
    expect((await rows(h, 'ServiceRequest', 'referral-REF-2026-0042')).map((r) => r[1])).toEqual([
      'withheld',
    ]);

    await h.run('update', update('UPD-2026-0042-04', 22), '2026-11-22T19:00:00-08:00');
    await drainAt(h, '2026-11-22T19:05:00-08:00');
    expect(await sandboxSearch(h, 'Communication', UPDATE_ID)).toHaveLength(0);
    expect(await rows(h, 'Communication', 'update-UPD-2026-0042-03')).toEqual([[1, 'withheld']]);
    expect(await sandboxSections(h, 'UPD-2026-0042-04')).toEqual([
      ['session-focus', 'observations', 'integration-suggestions'],
    ]);
    expect(await sandboxConsent(h, 'CON-2026-0042-6')).toEqual(['active']);
  });
}

export { CONSENT_ID };
