import fs from 'node:fs';
import path from 'node:path';
import type { Bundle, Patient, ServiceRequest } from '@medplum/fhirtypes';
import type { FhirIngestResult } from '../../src/app';
import type { Referral } from '../../src/domain/records';
import { openPostgresStore } from '../../src/adapters/store/postgres-store';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster';
import { loadRecord, openIngestHarness, type IngestHarness } from './ingest-harness';

/**
 * Two kap-bridge instances sharing one PostgreSQL database (DESIGN.md §7) receive referrals at
 * the same moment. Each instance is its own store (its own pool), as two processes would be.
 */
jest.setTimeout(120_000);

const INBOUND = path.join(__dirname, '../../fixtures/inbound');

let cluster: PostgresCluster;
let url: string;
let a: IngestHarness;
let b: IngestHarness;
beforeAll(async () => (cluster = await startPostgresCluster()));
afterAll(() => cluster?.stop());
beforeEach(async () => {
  url = await cluster.createDatabase();
  a = await openIngestHarness({ store: await openPostgresStore(url) });
  b = await openIngestHarness({ store: await openPostgresStore(url) });
});
afterEach(async () => {
  await Promise.all([a.dispose(), b.dispose()]);
  await cluster.dropDatabase(url);
});

/** The fixture transaction for a new client `n`: its own referral id, patient id and name. */
function referralBundle(n: number): Bundle {
  const bundle = JSON.parse(
    fs.readFileSync(path.join(INBOUND, 'transaction-referral.json'), 'utf8'),
  ) as Bundle;
  const [sr, patient] = (bundle.entry ?? []).map((e) => e.resource);
  (sr as ServiceRequest).identifier![0]!.value = `LP-9${String(n).padStart(3, '0')}`;
  (patient as Patient).identifier![0]!.value = `88${String(n).padStart(3, '0')}`;
  (patient as Patient).name![0]!.family = `Concurrent${String.fromCharCode(65 + n)}`;
  return bundle;
}

const statusOf = (r: FhirIngestResult) =>
  r.status === 'processed' ? r.response.entry?.[0]?.response?.status : r.status;

describe('concurrent inbound referrals on PostgreSQL', () => {
  test('new clients arriving at once through two instances each get their own MRN', async () => {
    // One referral first, so the shared referrer resources exist and only the MRNs can collide.
    expect(statusOf(await a.ingest.fhirBundle(referralBundle(0)))).toBe('201 Created');
    const n = 8;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => (i % 2 ? b : a).ingest.fhirBundle(referralBundle(i + 1))),
    );
    expect(results.map(statusOf)).toEqual(new Array(n).fill('201 Created'));
    const referrals = (await a.store.listRecords({ kind: 'referral' })).map((r) => r.json as Referral);
    const mrns = referrals.map((r) => r.client.mrn).sort();
    expect(mrns).toEqual(Array.from({ length: n + 1 }, (_, i) => `KAP-${String(i + 1).padStart(6, '0')}`));
    const patients = await a.store.listResources({ resourceType: 'Patient' });
    expect(patients.map((p) => p.versionId)).toEqual(new Array(n + 1).fill(1));
  });
});

describe('the same record arriving at once on PostgreSQL', () => {
  test('one referral posted eight times at once through two instances is stored once: one created, the rest unchanged', async () => {
    const referral = loadRecord('referral-self.json');
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 ? b : a).ingest.referral(referral)),
    );
    expect(results.map((r) => r.status).sort()).toEqual(['created', ...new Array(7).fill('unchanged')]);
    expect(results.map((r) => r.version)).toEqual(new Array(8).fill(1));
    expect((await a.store.getRecord('referral', 'REF-2026-0057'))?.version).toBe(1);
    const requests = await a.store.listResources({ resourceType: 'ServiceRequest' });
    expect(requests.map((r) => r.versionId)).toEqual([1]);
    expect(await b.store.listOutbox()).toHaveLength(1);
    expect(await a.store.listAudit({ patientMrn: 'KAP-000131' })).toHaveLength(1);
  });

  test('different referrals from one new referrer arriving at once on an empty database are all stored', async () => {
    const base = loadRecord('referral-self.json') as Record<string, unknown> & { client: object };
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 ? b : a).ingest.referral({
          ...base,
          id: `REF-2026-07${i}`,
          client: { ...base.client, mrn: `KAP-00070${i}` },
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(new Array(6).fill('created'));
    const practitioners = await a.store.listResources({ resourceType: 'Practitioner' });
    expect(practitioners.map((p) => p.versionId)).toEqual([1]);
  });
});
