// Memory while the relay drains a large outbox (issue 12): N integration updates queued in a
// SQLite file (one ingested through the use cases, the rest copies of it with their own ids and
// business identifiers, written straight into the tables to save time), then a separate process
// (scripts/bench/drain-worker.js) drains them into a sandbox process, sampling its own RSS. The
// queue must be paged, never loaded whole: RSS stays flat however many rows wait.
// Figures: { drainRssMB (peak), drainRows, drainRssFirstTenthMB, drainPerSec }.
'use strict';
const { randomUUID } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Database = require('better-sqlite3');
const { root, dist, main, pick, say, timeProcess, startSandboxProcess } = require('./lib');

const { createIngestUseCases } = dist('app');
const { openSqliteStore } = dist('adapters/store/sqlite-store');
const { createValidator } = dist('fhir/validator');
const { loadProjectProfiles } = dist('adapters/fhir-packages/load-package');

const records = (f) => JSON.parse(fs.readFileSync(path.join(root, 'fixtures/records', f), 'utf8'));
const UPDATE_ID = 'UPD-2026-0042-03';

async function seed(file, rows) {
  const store = openSqliteStore(file);
  let now = new Date('2026-11-03T17:00:00Z');
  const ingest = createIngestUseCases({
    store,
    validator: createValidator({ packages: loadProjectProfiles() }),
    clock: () => now,
    timeZone: 'America/Los_Angeles',
    defaultDestinationId: 'lakeside-ehr',
  });
  await ingest.referral(records('referral-clinician-full.json'));
  now = new Date('2026-11-05T19:00:00Z');
  await ingest.consent(records('consent-client-full.json'));
  now = new Date('2026-11-21T03:00:00Z');
  const u = await ingest.update(records('update-all-observations.json'));
  if (u.status !== 'created') throw new Error(JSON.stringify(u));
  await store.close();

  const db = new Database(file);
  const resource = db
    .prepare("SELECT * FROM resources WHERE resource_type = 'Communication' AND id = ?")
    .get(`update-${UPDATE_ID}`);
  const row = db.prepare("SELECT * FROM outbox WHERE resource_type = 'Communication'").get();
  const putResource = db.prepare(
    'INSERT INTO resources (resource_type, id, version_id, json, patient_mrn, last_updated) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const columns = Object.keys(row);
  const putRow = db.prepare(
    `INSERT INTO outbox (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
  );
  db.transaction(() => {
    for (let i = 1; i < rows; i++) {
      const updateId = `UPD-BENCH-${String(i).padStart(6, '0')}`;
      const id = `update-${updateId}`;
      putResource.run(
        'Communication',
        id,
        1,
        resource.json.split(UPDATE_ID).join(updateId),
        resource.patient_mrn,
        resource.last_updated,
      );
      const copy = {
        ...row,
        id: randomUUID(),
        item_key: row.item_key.replace(resource.id, id),
        resource_id: id,
      };
      putRow.run(...columns.map((c) => copy[c]));
    }
  })();
  const queued = db.prepare("SELECT count(*) AS n FROM outbox WHERE state = 'queued'").get().n;
  db.close();
  return queued;
}

/** `--rows N` overrides the size's row count; `--cpu-prof DIR` profiles the drain worker into DIR. */
function option(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

main(async () => {
  const rows = Number(option('rows') ?? pick({ full: 100_000, quick: 10_000, tiny: 200 }));
  const profile = option('cpu-prof');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-bench-drain-'));
  const file = path.join(dir, 'kap.db');
  const sandbox = await startSandboxProcess();
  try {
    const queued = await seed(file, rows);
    say(`queued ${queued} rows; draining into the sandbox with RSS sampled`);
    const run = await timeProcess(
      [
        ...(profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : []),
        path.join(__dirname, 'drain-worker.js'),
        file,
        sandbox.url,
        sandbox.token,
      ],
      { keep: 1 << 20 },
    );
    if (run.code !== 0) throw new Error(`drain worker exited ${run.code}: ${run.stderr}`);
    const result = JSON.parse(run.stdout.trim().split('\n').pop());
    say(run.stderr.trim());
    return {
      drainRssMB: result.peakMB,
      drainRows: result.delivered,
      drainRssFirstTenthMB: result.firstTenthPeakMB,
      drainPerSec: result.perSec,
      drainHeapMB: result.heapPeakMB,
    };
  } finally {
    await sandbox.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
