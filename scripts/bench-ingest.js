#!/usr/bin/env node
// Ingest throughput on SQLite (synchronous=FULL, a real file) and outbox leasing, through the
// built use cases (run via `npm run bench`, which builds first). N clients, each: a referral, a
// consent and an integration update — every one parsed, mapped, validated, consent-decided and
// committed with its outbox rows in one transaction. Usage: node scripts/bench-ingest.js [N]
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dist = (p) => require(path.join(root, 'dist', p));
const { createIngestUseCases } = dist('app');
const { openSqliteStore } = dist('adapters/store/sqlite-store');
const { createValidator } = dist('fhir/validator');
const { loadProjectProfiles } = dist('adapters/fhir-packages/load-package');

const N = Number(process.argv[2] ?? 300);
const read = (f) => JSON.parse(fs.readFileSync(path.join(root, 'fixtures/records', f), 'utf8'));
const referral = read('referral-clinician-full.json');
const consent = read('consent-client-full.json');
const update = read('update-all-observations.json');

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-bench-ingest-'));
  const store = openSqliteStore(path.join(dir, 'kap.db'));
  const validator = createValidator({ packages: loadProjectProfiles() });
  let now = new Date('2026-11-21T04:00:00Z');
  const ingest = createIngestUseCases({
    store,
    validator,
    clock: () => now,
    timeZone: 'America/Los_Angeles',
    defaultDestinationId: 'sandbox',
  });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const ref = `REF-B-${i}`;
    const mrn = `KAP-B${String(i).padStart(6, '0')}`;
    const r = await ingest.referral({ ...referral, id: ref, client: { ...referral.client, mrn } });
    const c = await ingest.consent({ ...consent, id: `CON-B-${i}`, referralId: ref, clientMrn: mrn });
    const u = await ingest.update({ ...update, id: `UPD-B-${i}`, referralId: ref });
    for (const x of [r, c, u]) if (x.status !== 'created') throw new Error(JSON.stringify(x.outcome));
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(
    `ingest (SQLite, synchronous=FULL, validator on): ${((3 * N) / secs) | 0} records/s (${3 * N} records in ${secs.toFixed(2)} s)`,
  );

  const rows = (await store.listOutbox({ state: 'queued' })).length;
  now = new Date('2026-11-21T05:00:00Z');
  const t1 = process.hrtime.bigint();
  let leased = 0;
  for (;;) {
    const batch = await store.leaseDue(now, 50, 'bench', 60_000);
    if (batch.length === 0) break;
    for (const row of batch) {
      const at = new Date(now.getTime() + 1);
      await store.completeAttempt(
        row.id,
        'bench',
        { startedAt: now, finishedAt: at, httpStatus: 201, result: 'delivered', outcome: null },
        { state: 'delivered', deliveredAt: at },
      );
    }
    leased += batch.length;
  }
  const secs2 = Number(process.hrtime.bigint() - t1) / 1e9;
  console.log(
    `lease + complete (SQLite, batches of 50): ${(leased / secs2) | 0} rows/s (${leased} of ${rows} queued rows in ${secs2.toFixed(2)} s)`,
  );
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
