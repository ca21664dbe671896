#!/usr/bin/env node
// Relay throughput to the sandbox over HTTP (DESIGN.md §6): N integration updates of one client
// are ingested into a fresh SQLite store (referral + full consent first), then the relay drains
// the outbox — consent re-check, redaction, unit building, validation, transaction push, attempt
// + AuditEvent per item. Prints deliveries per second for the drain alone. Needs `npm run build`.
// Usage: node scripts/bench-delivery.js [--n 300] [--concurrency 4]
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const dist = (p) => require(path.join(__dirname, '../dist', p));
const { createIngestUseCases } = dist('app');
const { createBearerAuth } = dist('adapters/destination/auth');
const { createDestinationRegistry, parseDestinations } = dist('adapters/destination/destinations');
const { createFhirGateway } = dist('adapters/destination/fhir-gateway');
const { createGuardedHttpClient } = dist('adapters/destination/http-client');
const { createRelay } = dist('app/deliver/relay');
const { loadProjectProfiles } = dist('adapters/fhir-packages/load-package');
const { createValidator } = dist('fhir/validator');
const { startSandbox } = dist('sandbox');
const { openSqliteStore } = dist('adapters/store/sqlite-store');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const records = (f) => JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/records', f), 'utf8'));

async function main() {
  const n = arg('n', 300);
  const concurrency = arg('concurrency', 4);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-bench-delivery-'));
  const store = openSqliteStore(path.join(dir, 'kap.db'));
  const sandbox = await startSandbox();
  const http = createGuardedHttpClient();
  const validator = createValidator({ packages: loadProjectProfiles() });
  let now = new Date('2026-11-03T17:00:00Z');
  const clock = () => now;
  const ingest = createIngestUseCases({
    store,
    validator,
    clock,
    timeZone: 'America/Los_Angeles',
    defaultDestinationId: 'lakeside-ehr',
  });
  await ingest.referral(records('referral-clinician-full.json'));
  now = new Date('2026-11-05T19:00:00Z');
  await ingest.consent(records('consent-client-full.json'));
  now = new Date('2026-11-21T03:00:00Z');
  const t0 = process.hrtime.bigint();
  const update = records('update-all-observations.json');
  for (let i = 0; i < n; i++)
    await ingest.update({ ...update, id: `UPD-2026-0042-B${i}`, sessionNumber: 100 + i });
  const ingestS = Number(process.hrtime.bigint() - t0) / 1e9;
  const parsed = parseDestinations([
    {
      id: 'lakeside-ehr',
      baseUrl: sandbox.url,
      auth: { type: 'none' },
      allowInsecure: true,
      allowPrivateNetwork: true,
    },
  ]);
  const relay = createRelay({
    store,
    gateway: createFhirGateway({
      http,
      authFor: () => createBearerAuth(sandbox.token),
      now: () => now.getTime(),
    }),
    destinations: createDestinationRegistry(parsed.destinations),
    validator,
    clock,
    random: Math.random,
    config: {
      leaseMs: 120000,
      retryBaseMs: 1000,
      maxAttempts: 5,
      timeZone: 'America/Los_Angeles',
      owner: 'bench',
      concurrency,
    },
  });
  const t1 = process.hrtime.bigint();
  const summary = await relay.drain({ limit: 50 });
  const drainS = Number(process.hrtime.bigint() - t1) / 1e9;
  console.log(`ingest: ${n} updates in ${ingestS.toFixed(2)} s (${(n / ingestS).toFixed(1)}/s)`);
  console.log(
    `relay drain (concurrency ${concurrency}): ${summary.delivered} delivered, ${summary.dead} dead in ${drainS.toFixed(2)} s → ${(summary.delivered / drainS).toFixed(1)} deliveries/s`,
  );
  await http.close();
  await sandbox.close();
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
