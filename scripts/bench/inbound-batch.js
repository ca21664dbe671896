// An inbound FHIR batch of new-client referrals (POST /fhir, DESIGN.md §6b, §8) through the
// ingest use case on SQLite: with no client on file, and with 10,000 clients on file (client
// matching and MRN assignment must use indexed lookups: the time must not grow with them).
// Figures: { inboundBatch: { referrals, ms, msAt10kClients } }, medians of several runs.
'use strict';
/* global structuredClone, performance */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { root, dist, main, median, pick, say } = require('./lib');

const { createIngestUseCases } = dist('app');
const { openSqliteStore } = dist('adapters/store/sqlite-store');
const { createValidator } = dist('fhir/validator');
const { loadProjectProfiles } = dist('adapters/fhir-packages/load-package');

const template = JSON.parse(
  fs.readFileSync(path.join(root, 'fixtures/inbound/transaction-referral.json'), 'utf8'),
);

/** `n` new-client referrals from one clinician (as test/app/inbound-batch.ts builds them). */
function referralBatch(n, tag) {
  const [srEntry, patientEntry, ...shared] = template.entry;
  const entries = [];
  for (let i = 0; i < n; i++) {
    const sr = structuredClone(srEntry);
    const patient = structuredClone(patientEntry);
    const s = sr.resource;
    const p = patient.resource;
    s.id = `sr-${tag}${i}`;
    s.identifier = [{ ...s.identifier?.[0], value: `LP-${tag}${i}` }];
    s.subject = { reference: `Patient/pat-${tag}${i}` };
    p.id = `pat-${tag}${i}`;
    p.identifier = [{ system: 'https://ehr.lakeside.example/patients', value: `${tag}${i}` }];
    p.name = [{ use: 'official', family: `Batch${tag}`, given: [`Client${i}`] }];
    p.birthDate = `19${50 + (i % 50)}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`;
    sr.fullUrl = `https://ehr.lakeside.example/fhir/ServiceRequest/${s.id}`;
    patient.fullUrl = `https://ehr.lakeside.example/fhir/Patient/${p.id}`;
    entries.push(sr, patient);
  }
  return { resourceType: 'Bundle', type: 'batch', entry: [...entries, ...shared] };
}

/** `n` clients on file as referral records (what matching reads), in one transaction. */
async function fileClients(store, n) {
  await store.transaction(async (tx) => {
    for (let i = 1; i <= n; i++) {
      const mrn = `KAP-${String(i).padStart(6, '0')}`;
      const client = {
        mrn,
        name: { given: [`Known${i}`], family: 'OnFile' },
        birthDate: `20${String(i % 20).padStart(2, '0')}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`,
        gender: 'female',
        referrerPatientId: { system: 'https://ehr.lakeside.example/patients', value: `K${i}` },
      };
      const json = { id: `REF-SEED-${i}`, client };
      const base = { kind: 'referral', id: `REF-SEED-${i}`, contentHash: `h${i}`, json };
      await tx.putRecord({ ...base, patientMrn: mrn, receivedAt: new Date('2026-10-01T00:00:00Z') });
      await tx.raiseSequence('mrn', i);
    }
  });
}

async function timeBatch(validator, referrals, onFile, tag) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-bench-inbound-'));
  const store = openSqliteStore(path.join(dir, 'kap.db'));
  try {
    await fileClients(store, onFile);
    const ingest = createIngestUseCases({
      store,
      validator,
      clock: () => new Date('2026-11-03T17:00:00Z'),
      timeZone: 'America/Los_Angeles',
      defaultDestinationId: 'sandbox',
      maxBatchEntries: 2 * referrals + 3,
    });
    const bundle = referralBatch(referrals, tag);
    const t0 = performance.now();
    const result = await ingest.fhirBundle(bundle);
    const ms = performance.now() - t0;
    const created =
      result.status === 'processed'
        ? result.response.entry.filter((e) => e.response?.status === '201 Created').length
        : 0;
    if (created !== referrals)
      throw new Error(
        `${created} of ${referrals} referrals created: ${JSON.stringify(result).slice(0, 500)}`,
      );
    return ms;
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main(async () => {
  const referrals = pick({ full: 700, quick: 700, tiny: 10 });
  const clients = pick({ full: 10_000, quick: 10_000, tiny: 100 });
  const runs = pick({ full: 3, quick: 1, tiny: 1 });
  const validator = createValidator({ packages: loadProjectProfiles() });
  if (pick({ full: true, quick: true, tiny: false })) await timeBatch(validator, 50, 0, 'W'); // warm-up (JIT)
  const empty = [];
  const full = [];
  for (let r = 0; r < runs; r++) {
    empty.push(await timeBatch(validator, referrals, 0, `E${r}`));
    full.push(await timeBatch(validator, referrals, clients, `F${r}`));
    say(
      `run ${r + 1}: ${referrals} new-client referrals: ${empty[r].toFixed(0)} ms with no client on file, ${full[r].toFixed(0)} ms with ${clients} clients`,
    );
  }
  return {
    inboundBatch: {
      referrals,
      ms: Math.round(median(empty)),
      msAt10kClients: Math.round(median(full)),
      clientsOnFile: clients,
    },
  };
});
