import type { Bundle } from '@medplum/fhirtypes';
import { listPossibleDuplicates } from '../../src/app';
import type { Referral } from '../../src/domain/records';
import type { Store, StoreOps } from '../../src/app/ports/store-port';
import { referralBatch } from './inbound-batch';
import { openIngestHarness, type IngestHarness } from './ingest-harness';

/**
 * Client matching and MRN assignment use indexed lookups (DESIGN.md §8): the rows a referral
 * reads do not grow with the number of clients on file. Proved by counting the rows the store
 * hands back, not by a timing; the times are printed for the benchmark figures.
 */

jest.setTimeout(300_000);

const CLIENTS = 10_000;
const REFERRALS = 200;

/** `store` with every row a read returns counted (also inside transactions). */
function counting(store: Store): { store: Store; rows: () => number } {
  let rows = 0;
  const wrap = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(t, key, receiver) {
        const v = Reflect.get(t, key, receiver) as unknown;
        if (typeof v !== 'function') return v;
        if (key === 'transaction') {
          return (fn: (tx: StoreOps) => Promise<unknown>) =>
            (t as unknown as Store).transaction((tx) => fn(wrap(tx)));
        }
        return async (...args: unknown[]) => {
          const out = (await (v as (...a: unknown[]) => unknown).apply(t, args)) as unknown;
          rows += Array.isArray(out) ? out.length : out ? 1 : 0;
          return out;
        };
      },
    });
  return { store: wrap(store), rows: () => rows };
}

/** `n` clients on file as referral records (what matching reads), written in one transaction. */
async function fileClients(store: Store, n: number): Promise<void> {
  await store.transaction(async (tx) => {
    for (let i = 1; i <= n; i++) {
      const mrn = `KAP-${String(i).padStart(6, '0')}`;
      const client = {
        mrn,
        name: { given: [`Known${i}`], family: 'OnFile' },
        // Born 2000–2019, apart from the batch (1950–1999): the birth-date lookup returns only
        // clients born the same day, and here none is, so the row counts can be compared exactly.
        birthDate: `20${String(i % 20).padStart(2, '0')}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`,
        gender: 'female',
        referrerPatientId: { system: 'https://ehr.lakeside.example/patients', value: `K${i}` },
      };
      const json = { id: `REF-SEED-${i}`, client } as Partial<Referral>;
      const base = { kind: 'referral' as const, id: `REF-SEED-${i}`, contentHash: `h${i}`, json };
      await tx.putRecord({ ...base, patientMrn: mrn, receivedAt: new Date('2026-10-01T00:00:00Z') });
      await tx.raiseSequence('mrn', i);
    }
  });
}

async function run(h: IngestHarness, bundle: Bundle): Promise<{ ms: number }> {
  const started = performance.now();
  const result = await h.ingest.fhirBundle(bundle);
  const ms = performance.now() - started;
  expect(result.status).toBe('processed');
  if (result.status === 'processed') {
    const created = result.response.entry?.filter((e) => e.response?.status === '201 Created');
    expect(created).toHaveLength(REFERRALS);
  }
  return { ms };
}

test(`with ${CLIENTS.toLocaleString('en-US')} clients on file, a batch of ${REFERRALS} new-client referrals reads as few rows per referral as with none`, async () => {
  const figures: Record<string, number> = {};
  const rowsPerReferral: number[] = [];
  for (const onFile of [0, CLIENTS]) {
    const base = await openIngestHarness({ maxBatchEntries: 1000 });
    const { store, rows } = counting(base.store);
    const h = await openIngestHarness({ store, maxBatchEntries: 1000 });
    try {
      await fileClients(base.store, onFile);
      const before = rows();
      const { ms } = await run(h, referralBatch(REFERRALS));
      rowsPerReferral.push((rows() - before) / REFERRALS);
      figures[`msAt${onFile}Clients`] = Math.round(ms);
      const mrns = (await base.store.listRecords({ kind: 'referral' }))
        .map((r) => (r.json as Referral).client.mrn)
        .slice(onFile);
      expect(mrns.at(0)).toBe(`KAP-${String(onFile + 1).padStart(6, '0')}`);
      expect(await listPossibleDuplicates(base.store)).toEqual([]);
    } finally {
      await h.dispose();
      await base.dispose().catch(() => undefined);
    }
  }
  console.log(`inbound batch of ${REFERRALS} new-client referrals: ${JSON.stringify(figures)}`);
  // Each referral reads the same handful of rows whether 0 or 10,000 clients are on file.
  expect(rowsPerReferral[1]).toBe(rowsPerReferral[0]);
  expect(rowsPerReferral[1]).toBeLessThan(50);
});
