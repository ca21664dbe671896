// Ingest throughput on SQLite (a real file, durable: an acknowledged record is on disk, DESIGN.md
// §6) through the built use cases: N clients, each a referral, a consent and an integration
// update — every record parsed, mapped, validated, consent-decided and committed with its outbox
// rows. CALLERS clients are ingested at once (as HTTP callers would be), each client's three
// records in order. Then the outbox rows are leased and completed in batches of 50.
// Figures: { ingest: { perSec } }, the median of several runs on fresh files.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { root, dist, main, median, pick, say, secondsSince } = require('./lib');

const { createIngestUseCases } = dist('app');
const { openSqliteStore } = dist('adapters/store/sqlite-store');
const { createValidator } = dist('fhir/validator');
const { loadProjectProfiles } = dist('adapters/fhir-packages/load-package');

const read = (f) => JSON.parse(fs.readFileSync(path.join(root, 'fixtures/records', f), 'utf8'));
const referral = read('referral-clinician-full.json');
const consent = read('consent-client-full.json');
const update = read('update-all-observations.json');
const CALLERS = 8;

async function ingestClients(ingest, clients, tag) {
  let next = 0;
  const caller = async () => {
    while (next < clients) {
      const i = next++;
      const ref = `REF-${tag}-${i}`;
      const mrn = `KAP-${tag}${String(i).padStart(6, '0')}`;
      const r = await ingest.referral({ ...referral, id: ref, client: { ...referral.client, mrn } });
      const c = await ingest.consent({ ...consent, id: `CON-${tag}-${i}`, referralId: ref, clientMrn: mrn });
      const u = await ingest.update({ ...update, id: `UPD-${tag}-${i}`, referralId: ref });
      for (const x of [r, c, u]) if (x.status !== 'created') throw new Error(JSON.stringify(x.outcome));
    }
  };
  await Promise.all(Array.from({ length: CALLERS }, caller));
}

async function leaseAll(store, now) {
  let leased = 0;
  for (;;) {
    const batch = await store.leaseDue(now, 50, 'bench', 60_000);
    if (batch.length === 0) return leased;
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
}

main(async () => {
  const clients = pick({ full: 500, quick: 300, tiny: 5 });
  const runs = pick({ full: 5, quick: 3, tiny: 1 });
  const validator = createValidator({ packages: loadProjectProfiles() });
  const rates = [];
  for (let run = 0; run < runs; run++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-bench-ingest-'));
    const store = openSqliteStore(path.join(dir, 'kap.db'));
    try {
      let now = new Date('2026-11-21T04:00:00Z');
      const ingest = createIngestUseCases({
        store,
        validator,
        clock: () => now,
        timeZone: 'America/Los_Angeles',
        defaultDestinationId: 'sandbox',
      });
      if (run === 0 && clients > 20) await ingestClients(ingest, 20, 'W'); // warm-up (JIT)
      const t0 = process.hrtime.bigint();
      await ingestClients(ingest, clients, `B${run}`);
      const secs = secondsSince(t0);
      rates.push((3 * clients) / secs);
      now = new Date('2026-11-21T05:00:00Z');
      const t1 = process.hrtime.bigint();
      const leased = await leaseAll(store, now);
      say(
        `run ${run + 1}: ingest ${((3 * clients) / secs).toFixed(0)} records/s (${3 * clients} records, ${CALLERS} callers, ${secs.toFixed(2)} s); lease + complete ${(leased / secondsSince(t1)).toFixed(0)} rows/s (${leased} rows)`,
      );
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const perSec = median(rates);
  say(`ingest (SQLite, durable, validator on), median of ${runs}: ${perSec.toFixed(0)} records/s`);
  return { ingest: { perSec: Math.round(perSec) } };
});
