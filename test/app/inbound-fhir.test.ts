import fs from 'node:fs';
import path from 'node:path';
import type { Bundle, MessageHeader, OperationOutcome } from '@medplum/fhirtypes';
import cases from '../../fixtures/inbound/cases.json';
import refused from '../../fixtures/inbound/refused.json';
import { listPossibleDuplicates, type FhirIngestResult } from '../../src/app';
import type { Referral } from '../../src/domain/records';
import { loadProjectProfiles } from '../../src/adapters/fhir-packages/load-package';
import { createValidator } from '../../src/fhir/validator';
import { databaseFingerprint, loadRecord, openIngestHarness, type IngestHarness } from './ingest-harness';

const DIR = path.join(__dirname, '../../fixtures/inbound');
const bundleFiles = fs.readdirSync(DIR).filter((f) => !['cases.json', 'refused.json'].includes(f));
const loadBundle = (file: string): Bundle =>
  JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')) as Bundle;
const validator = createValidator({ packages: loadProjectProfiles() });
const errorsOf = (oo: OperationOutcome) =>
  oo.issue.filter((i) => i.severity === 'error' || i.severity === 'fatal');

let h: IngestHarness;
beforeEach(async () => (h = await openIngestHarness()));
afterEach(() => h.dispose());

async function send(kind: string, bundle: Bundle): Promise<FhirIngestResult> {
  return kind === 'message' ? h.ingest.message(bundle) : h.ingest.fhirBundle(bundle);
}

async function storedReferrals(): Promise<Referral[]> {
  const all = await h.store.listRecords({ kind: 'referral' });
  return all
    .map((r) => r.json as Referral)
    .filter((r) => r.source === 'clinician' && r.id.startsWith('REF-1'));
}

describe('inbound fixtures are valid FHIR', () => {
  test.each(bundleFiles)('%s passes the validator (no errors)', (file) => {
    expect(errorsOf(validator.validate(loadBundle(file)))).toEqual([]);
  });
});

describe('inbound referral cases', () => {
  test.each(cases)('$situation', async (c) => {
    for (const file of c.before) expect((await h.ingest.referral(loadRecord(file))).status).toBe('created');
    const before = databaseFingerprint(h.file);
    const result = await send(c.kind, loadBundle(c.file));
    if ('rejected' in c) {
      expect(result.status).toBe('rejected');
      if (result.status !== 'rejected') return;
      expect(errorsOf(result.outcome).flatMap((i) => i.expression ?? [])).toContain(c.expression);
      expect(databaseFingerprint(h.file)).toEqual(before);
    } else {
      expect(result.status).toBe('processed');
      if (result.status !== 'processed') return;
      expect(errorsOf(validator.validate(result.response))).toEqual([]);
      if ('entries' in c) expect(result.response.entry?.map((e) => e.response?.status)).toEqual(c.entries);
      if ('responseCode' in c) {
        expect((result.response.entry?.[0]?.resource as MessageHeader).response?.code).toBe(c.responseCode);
      }
      const issues = (result.response.entry ?? []).flatMap((e) => e.response?.outcome?.issue ?? []);
      if ('expression' in c) expect(issues.flatMap((i) => i.expression ?? [])).toContain(c.expression);
      if ('warning' in c)
        expect(issues.filter((i) => i.severity === 'warning').map((i) => i.code)).toContain(c.warning);
    }
    const stored = await storedReferrals();
    expect(stored.map((r) => ({ id: r.id, mrn: r.client.mrn, role: r.referringClinician.role }))).toEqual(
      c.referrals.map(({ id, mrn, role }) => ({ id, mrn, role })),
    );
    for (const [i, want] of c.referrals.entries()) {
      if ('organization' in want)
        expect(stored[i]?.referringClinician.organization?.name).toBe(want.organization);
    }
    const dups = (await listPossibleDuplicates(h.store)).map((d) => [d.newMrn, d.existingMrn]);
    expect(dups).toEqual('duplicates' in c ? c.duplicates : []);
  });
});

type Patch = { path: string; value: unknown };

/** A fixture Bundle with values set (or, for `null`, removed) at dotted paths. */
function patched(file: string, patches: Patch[]): Bundle {
  const bundle = loadBundle(file) as unknown as Record<string, unknown>;
  for (const { path: at, value } of patches) {
    const keys = at.split('.');
    const last = keys.pop() as string;
    let node = bundle as Record<string, unknown>;
    for (const k of keys) node = node[k] as Record<string, unknown>;
    if (value === null) delete node[last];
    else node[last] = value;
  }
  return bundle as unknown as Bundle;
}

describe('refused inbound referrals change nothing', () => {
  test.each(refused)('$situation', async (c) => {
    const before = databaseFingerprint(h.file);
    const result = await h.ingest.fhirBundle(patched(c.file, c.patch));
    expect(result.status).toBe('rejected');
    if (result.status !== 'rejected') return;
    const errors = errorsOf(result.outcome);
    expect(errors.flatMap((i) => i.expression ?? [])).toContain(c.expression);
    if ('code' in c) expect(errors.map((i) => i.code)).toContain(c.code);
    expect(databaseFingerprint(h.file)).toEqual(before);
  });
});

describe('re-sent and changed referrals', () => {
  test('a re-sent transaction answers 200 OK at the same location and stores nothing new', async () => {
    const first = await h.ingest.fhirBundle(loadBundle('transaction-referral.json'));
    const snapshot = databaseFingerprint(h.file);
    h.setNow('2026-11-04T09:00:00Z');
    const again = await h.ingest.fhirBundle(loadBundle('transaction-referral.json'));
    const sr = (r: FhirIngestResult) =>
      r.status === 'processed' ? r.response.entry?.[0]?.response : undefined;
    expect(sr(first)?.status).toBe('201 Created');
    expect(sr(again)?.status).toBe('200 OK');
    expect(sr(again)?.location).toBe(sr(first)?.location);
    expect(databaseFingerprint(h.file)).toEqual(snapshot);
  });

  test('a re-sent referral message is answered ok and stores nothing new', async () => {
    await h.ingest.message(loadBundle('message-bser-referral.json'));
    const snapshot = databaseFingerprint(h.file);
    const again = await h.ingest.message(loadBundle('message-bser-referral.json'));
    expect(
      again.status === 'processed' && (again.response.entry?.[0]?.resource as MessageHeader).response?.code,
    ).toBe('ok');
    expect(databaseFingerprint(h.file)).toEqual(snapshot);
  });

  test('a re-sent referral with a changed priority becomes version 2 of the same referral and client', async () => {
    await h.ingest.fhirBundle(loadBundle('transaction-referral.json'));
    const changed = patched('transaction-referral.json', [
      { path: 'entry.0.resource.priority', value: 'urgent' },
    ]);
    const again = await h.ingest.fhirBundle(changed);
    expect(again.status === 'processed' && again.response.entry?.[0]?.response).toMatchObject({
      status: '200 OK',
      location: 'ServiceRequest/referral-REF-1234567893-LP-8120/_history/2',
    });
    const [referral] = await storedReferrals();
    expect([referral?.priority, referral?.client.mrn]).toEqual(['urgent', 'KAP-000001']);
  });

  test('two new clients in one transaction get consecutive MRNs', async () => {
    const two = loadBundle('transaction-one-bad.json');
    const npi = two.entry?.[5]?.resource;
    if (npi?.resourceType === 'Practitioner')
      npi.identifier = [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '1987654344' }];
    const result = await h.ingest.fhirBundle(two);
    expect(result.status).toBe('processed');
    expect((await storedReferrals()).map((r) => r.client.mrn).sort()).toEqual(['KAP-000001', 'KAP-000002']);
  });
});

describe('referral messages that cannot be processed', () => {
  test('an unsupported event is answered fatal-error with an OperationOutcome at the event, nothing stored', async () => {
    const message = patched('message-bser-referral.json', [
      {
        path: 'entry.0.resource.eventCoding',
        value: { system: 'http://terminology.hl7.org/CodeSystem/v2-0003', code: 'A01' },
      },
    ]);
    const before = databaseFingerprint(h.file);
    const result = await h.ingest.message(message);
    expect(result.status).toBe('processed');
    if (result.status !== 'processed') return;
    const [header, oo] = (result.response.entry ?? []).map((e) => e.resource);
    expect((header as MessageHeader).response).toMatchObject({
      identifier: 'msg-hdr-7781',
      code: 'fatal-error',
    });
    expect((oo as OperationOutcome).issue[0]?.expression).toEqual(['Bundle.entry[0].resource.event']);
    expect(errorsOf(validator.validate(result.response))).toEqual([]);
    expect(databaseFingerprint(h.file)).toEqual(before);
  });

  test('a refused referral in a message is answered fatal-error and nothing is stored', async () => {
    const message = patched('message-bser-referral.json', [
      { path: 'entry.4.resource.identifier.0.value', value: '1987654320' },
    ]);
    const result = await h.ingest.message(message);
    const entries = result.status === 'processed' ? (result.response.entry ?? []) : [];
    expect((entries[0]?.resource as MessageHeader | undefined)?.response?.code).toBe('fatal-error');
    expect((entries[1]?.resource as OperationOutcome).issue[0]?.expression).toEqual([
      'Bundle.entry[4].resource.identifier[0].value',
    ]);
    expect(await storedReferrals()).toEqual([]);
  });

  test('a message Bundle without a MessageHeader first is refused (422), not answered', async () => {
    const bundle = loadBundle('message-bser-referral.json');
    bundle.entry = bundle.entry?.slice(1);
    const result = await h.ingest.message(bundle);
    expect(result.status === 'rejected' && result.outcome.issue[0]?.expression).toEqual([
      'Bundle.entry[0].resource',
    ]);
  });
});
