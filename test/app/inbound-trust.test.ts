import fs from 'node:fs';
import path from 'node:path';
import type { Bundle, Flag, Patient } from '@medplum/fhirtypes';
import type { FhirIngestResult } from '../../src/app';
import { clientOnFile } from '../../src/app/match-client';
import type { Referral } from '../../src/domain/records';
import { IDENTIFIER_SYSTEM } from '../../src/fhir/canonical';
import { databaseFingerprint, loadRecord, openIngestHarness, type IngestHarness } from './ingest-harness';

/**
 * DESIGN.md §8 "Trust at the edge": an API key that may send referrals learns nothing about who
 * is a client (the answers for a known and an unknown person are identical and name no MRN the
 * sender did not send) and changes no stored client's demographics.
 */

const DIR = path.join(__dirname, '../../fixtures/inbound');
const loadBundle = (file: string): Bundle =>
  JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')) as Bundle;
const PID_SYSTEM = 'https://ehr.lakeside.example/patients';

/** A fixture Bundle with its `index`th entry's resource changed by `edit`. */
function edited(file: string, index: number, edit: (r: Record<string, unknown>) => void): Bundle {
  const bundle = loadBundle(file);
  edit(bundle.entry?.[index]?.resource as unknown as Record<string, unknown>);
  return bundle;
}

const open: IngestHarness[] = [];
async function harness(before: unknown[] = []): Promise<IngestHarness> {
  const h = await openIngestHarness();
  open.push(h);
  for (const r of before) expect((await h.ingest.referral(r)).status).toBe('created');
  return h;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.dispose()));
});

const avery = () => loadRecord('referral-clinician-full.json'); // KAP-000123, pid 88231
/** Another client on file, so that the "unknown" side is not an empty database. */
const other = () =>
  loadRecord('referral-clinician-full.json', {
    id: 'REF-2026-0099',
    client: {
      mrn: 'KAP-000200',
      name: { given: ['Robin'], family: 'Hale' },
      birthDate: '1970-01-01',
      gender: 'male',
    },
  });

const mrnsIn = (r: FhirIngestResult): string[] => JSON.stringify(r).match(/KAP-\d+/g) ?? [];

describe('answers to inbound senders reveal nothing about who is a client', () => {
  test.each([
    ['the referrer patient id of a client on file', 'transaction-known-patient.json'],
    ['the name and birth date of a client on file', 'transaction-possible-duplicate.json'],
  ])(
    'a transaction whose Patient has %s is answered exactly as for a new person, with no MRN',
    async (_situation, file) => {
      const known = await (await harness([avery()])).ingest.fhirBundle(loadBundle(file));
      const unknown = await (await harness([other()])).ingest.fhirBundle(loadBundle(file));
      expect(known.status).toBe('processed');
      expect(known).toEqual(unknown);
      expect(mrnsIn(known)).toEqual([]);
    },
  );

  test('a referral message for a client on file is answered exactly as for a new person, with no MRN', async () => {
    const okafor = loadRecord('referral-clinician-full.json', {
      id: 'REF-2026-0077',
      client: {
        mrn: 'KAP-000150',
        name: { given: ['Chidi'], family: 'Okafor' },
        birthDate: '1979-08-30',
        gender: 'male',
        referrerPatientId: { system: PID_SYSTEM, value: '90417' },
      },
    });
    const known = await (await harness([okafor])).ingest.message(loadBundle('message-bser-referral.json'));
    const unknown = await (await harness([other()])).ingest.message(loadBundle('message-bser-referral.json'));
    expect(known).toEqual(unknown);
    expect(mrnsIn(known)).toEqual([]);
  });

  test('an MRN that names no client and an MRN whose referrer id names another client get the same refusal, naming no other MRN', async () => {
    const unknownMrn = await (
      await harness([other()])
    ).ingest.fhirBundle(loadBundle('transaction-practice-mrn.json'));
    // KAP-000123 is on file, and the referrer id the Patient also carries names another client.
    const hale = loadRecord('referral-clinician-full.json', {
      id: 'REF-2026-0100',
      client: { ...(other() as Referral).client, referrerPatientId: { system: PID_SYSTEM, value: '5' } },
    });
    const twoClients = await (
      await harness([avery(), hale])
    ).ingest.fhirBundle(
      edited('transaction-practice-mrn.json', 1, (p) => {
        (p as unknown as Patient).identifier?.push({ system: PID_SYSTEM, value: '5' });
      }),
    );
    expect(unknownMrn.status).toBe('rejected');
    expect(twoClients).toEqual(unknownMrn);
    expect(mrnsIn(unknownMrn)).toEqual([]);
  });
});

describe('inbound data never overwrites a stored client', () => {
  const renamed = () =>
    edited('transaction-practice-mrn.json', 1, (p) => {
      p.name = [{ use: 'official', family: 'Mallory', given: ['Eve'] }];
      p.birthDate = '1990-01-01';
    });

  test('a Patient carrying a client’s MRN with another name and birth date leaves the client as stored and flags the difference for staff', async () => {
    const h = await harness([avery()]);
    const patientBefore = await h.store.getResource('Patient', 'patient-KAP-000123');
    const result = await h.ingest.fhirBundle(renamed());
    expect(result.status).toBe('processed');
    expect(JSON.stringify(result)).not.toMatch(/Mallory|1990-01-01|differ|Flag/i);
    const client = await clientOnFile(h.store, 'KAP-000123');
    expect([client?.name, client?.birthDate]).toEqual([{ given: ['Avery'], family: 'Stone' }, '1986-04-12']);
    expect((await h.store.getResource('Patient', 'patient-KAP-000123'))?.versionId).toBe(
      patientBefore?.versionId,
    );
    const flags = (await h.store.listResources({ resourceType: 'Flag', patientMrn: 'KAP-000123' })).map(
      (s) => s.resource as Flag,
    );
    expect(flags).toHaveLength(1);
    expect(flags[0]?.identifier?.[0]?.system).toBe(IDENTIFIER_SYSTEM.demographicsReview);
    expect(flags[0]?.code.text).toMatch(/name "Eve Mallory".*birthDate "1990-01-01"/);
  });

  test('the same differing referral sent again changes nothing and adds no second Flag', async () => {
    const h = await harness([avery()]);
    await h.ingest.fhirBundle(renamed());
    const before = databaseFingerprint(h.file);
    h.setNow('2026-11-04T09:00:00Z');
    await h.ingest.fhirBundle(renamed());
    expect(databaseFingerprint(h.file)).toEqual(before);
  });
});
