import fs from 'node:fs';
import path from 'node:path';
import type { Bundle, Patient, ServiceRequest } from '@medplum/fhirtypes';
import type { FhirIngestResult } from '../../src/app';
import type { Referral } from '../../src/domain/records';
import { openPostgresStore } from '../../src/store/postgres-store';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster';
import { openIngestHarness, type IngestHarness } from './ingest-harness';

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
