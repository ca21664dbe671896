// The process whose memory scripts/bench/drain-rss.js measures: the relay of the built product
// draining a SQLite outbox into a destination (argv: database file, sandbox URL, token), sampling
// its own RSS every 100 ms. Prints readable lines on stderr and one JSON line on stdout.
'use strict';
/* global setInterval, clearInterval */
const { dist, secondsSince } = require('./lib');

const { createBearerAuth } = dist('adapters/destination/auth');
const { createDestinationRegistry, parseDestinations } = dist('adapters/destination/destinations');
const { createFhirGateway } = dist('adapters/destination/fhir-gateway');
const { createGuardedHttpClient } = dist('adapters/destination/http-client');
const { createRelay } = dist('app/deliver/relay');
const { loadProjectProfiles } = dist('adapters/fhir-packages/load-package');
const { createValidator } = dist('fhir/validator');
const { openSqliteStore } = dist('adapters/store/sqlite-store');

const MB = 2 ** 20;

async function drain() {
  const [file, url, token] = process.argv.slice(2);
  const store = openSqliteStore(file);
  const http = createGuardedHttpClient();
  const now = new Date('2026-11-21T04:00:00Z');
  const parsed = parseDestinations([
    {
      id: 'lakeside-ehr',
      baseUrl: url,
      auth: { type: 'none' },
      allowInsecure: true,
      allowPrivateNetwork: true,
    },
  ]);
  const relay = createRelay({
    store,
    gateway: createFhirGateway({ http, authFor: () => createBearerAuth(token), now: () => now.getTime() }),
    destinations: createDestinationRegistry(parsed.destinations),
    validator: createValidator({ packages: loadProjectProfiles() }),
    clock: () => now,
    random: Math.random,
    config: {
      leaseMs: 600_000,
      retryBaseMs: 1000,
      maxAttempts: 5,
      timeZone: 'America/Los_Angeles',
      owner: 'bench',
    },
  });
  const startMB = process.memoryUsage().rss / MB;
  const samples = [];
  const heap = [];
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    samples.push(m.rss / MB);
    heap.push(m.heapUsed / MB);
  }, 100);
  const t0 = process.hrtime.bigint();
  let summary;
  try {
    summary = await relay.drain({ limit: 50 });
  } finally {
    clearInterval(timer);
  }
  const secs = secondsSince(t0);
  samples.push(process.memoryUsage().rss / MB);
  await http.close();
  await store.close();
  const peak = (xs) => Math.max(...xs);
  const tenth = samples.slice(0, Math.max(1, Math.ceil(samples.length / 10)));
  const at = (f, xs = samples) => xs[Math.min(xs.length - 1, Math.floor(f * xs.length))].toFixed(0);
  process.stderr.write(
    `drain: ${summary.delivered} delivered (${summary.dead} dead) in ${secs.toFixed(1)} s, ${(summary.delivered / secs).toFixed(0)}/s; ` +
      `RSS before ${startMB.toFixed(0)} MB, at 25/50/75/100% ${at(0.25)}/${at(0.5)}/${at(0.75)}/${at(1)} MB, peak ${peak(samples).toFixed(0)} MB; ` +
      `JS heap used at 25/50/75/100% ${at(0.25, heap)}/${at(0.5, heap)}/${at(0.75, heap)}/${at(1, heap)} MB\n`,
  );
  process.stdout.write(
    `${JSON.stringify({
      delivered: summary.delivered,
      perSec: Math.round(summary.delivered / secs),
      peakMB: Math.round(peak(samples)),
      firstTenthPeakMB: Math.round(peak(tenth)),
      heapPeakMB: Math.round(peak(heap)),
    })}\n`,
  );
}

drain().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
