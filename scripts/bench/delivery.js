// Delivery to the sandbox over HTTP (DESIGN.md §6) against the destination's own pace: N
// integration updates of one client are ingested into a fresh SQLite store, then the relay drains
// the outbox (lease, consent re-check, redaction, unit building, validation, transaction push,
// attempt + AuditEvent per row) into a sandbox running as its own process. Every transaction
// Bundle the relay posts is recorded with its headers; the peer posts the same Bundles with the same
// headers (its own sandbox's token), in the same order and with the same number in flight, raw over
// keep-alive HTTP to a fresh sandbox process.
// Figures: { delivery: { rawPerSec, adapterPerSec, ratio } }, medians of several paired runs.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Agent, request } = require('undici');
const { root, dist, main, median, pick, say, secondsSince, startSandboxProcess } = require('./lib');

/**
 * CPU milliseconds a process has used (Linux /proc; undefined elsewhere): with the relay's own,
 * it tells which side of a run was the bottleneck — the relay or the sandbox — on a 2-core machine.
 */
function cpuMsOf(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in USER_HZ (100)
  } catch {
    return undefined;
  }
}
const ownCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const perRow = (ms, rows) => (ms === undefined || Number.isNaN(ms) ? '?' : (ms / rows).toFixed(2));

const { createIngestUseCases } = dist('app');
const { createBearerAuth } = dist('adapters/destination/auth');
const { createDestinationRegistry, parseDestinations } = dist('adapters/destination/destinations');
const { createFhirGateway } = dist('adapters/destination/fhir-gateway');
const { createGuardedHttpClient } = dist('adapters/destination/http-client');
const { createRelay } = dist('app/deliver/relay');
const { loadProjectProfiles } = dist('adapters/fhir-packages/load-package');
const { createValidator } = dist('fhir/validator');
const { openSqliteStore } = dist('adapters/store/sqlite-store');

const records = (f) => JSON.parse(fs.readFileSync(path.join(root, 'fixtures/records', f), 'utf8'));
/** Pushes in flight at once: the relay's bound per destination (RelayConfig.perDestination), and the raw peer's. */
const IN_FLIGHT = 4;

async function queueUpdates(store, validator, n, clock) {
  const ingest = createIngestUseCases({
    store,
    validator,
    clock: clock.now,
    timeZone: 'America/Los_Angeles',
    defaultDestinationId: 'lakeside-ehr',
  });
  clock.set('2026-11-03T17:00:00Z');
  await ingest.referral(records('referral-clinician-full.json'));
  clock.set('2026-11-05T19:00:00Z');
  await ingest.consent(records('consent-client-full.json'));
  clock.set('2026-11-21T03:00:00Z');
  const update = records('update-all-observations.json');
  for (let i = 0; i < n; i++)
    await ingest.update({ ...update, id: `UPD-2026-0042-B${i}`, sessionNumber: 100 + i });
}

/** The relay's drain into a fresh sandbox; resolves its rate and the transaction bodies it posted. */
async function adapterRun(validator, n) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-bench-delivery-'));
  const store = openSqliteStore(path.join(dir, 'kap.db'));
  const sandbox = await startSandboxProcess();
  const inner = createGuardedHttpClient();
  const posted = [];
  const requests = new Map();
  const http = {
    send(policy, req) {
      const what = `${req.method} ${req.url.replace(sandbox.url, '').replace(/\?.*/, '?…')}`;
      requests.set(what, (requests.get(what) ?? 0) + 1);
      if (req.method === 'POST' && req.body && req.url.replace(/\/$/, '') === sandbox.url)
        posted.push({ body: req.body, headers: req.headers ?? {} });
      return inner.send(policy, req);
    },
    close: () => inner.close(),
  };
  let now = new Date();
  const clock = { now: () => now, set: (iso) => (now = new Date(iso)) };
  try {
    await queueUpdates(store, validator, n, clock);
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
      clock: clock.now,
      random: Math.random,
      config: {
        leaseMs: 120000,
        retryBaseMs: 1000,
        maxAttempts: 5,
        timeZone: 'America/Los_Angeles',
        owner: 'bench',
      },
    });
    const cpu0 = ownCpuMs();
    const sandboxCpu0 = cpuMsOf(sandbox.pid);
    const t0 = process.hrtime.bigint();
    const summary = await relay.drain({ limit: 50 });
    const secs = secondsSince(t0);
    const cpu = { own: ownCpuMs() - cpu0, sandbox: cpuMsOf(sandbox.pid) - sandboxCpu0 };
    // The referral's ServiceRequest and the Consent are queued too: every row must go.
    if (summary.delivered < n || summary.delivered !== summary.leased) {
      throw new Error(`delivered ${summary.delivered} of ${summary.leased} rows: ${JSON.stringify(summary)}`);
    }
    say(`requests: ${JSON.stringify([...requests])}`);
    return { perSec: summary.delivered / secs, rows: summary.delivered, posted, cpu };
  } finally {
    await http.close();
    await sandbox.close();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The same Bundles with the same headers (what the destination is asked to answer, e.g. `Prefer`)
 * posted raw (keep-alive, IN_FLIGHT at once, in order) to a fresh sandbox.
 */
async function rawRun(posts) {
  const sandbox = await startSandboxProcess();
  const agent = new Agent({ connections: IN_FLIGHT });
  try {
    let next = 0;
    const cpu0 = ownCpuMs();
    const sandboxCpu0 = cpuMsOf(sandbox.pid);
    const t0 = process.hrtime.bigint();
    const worker = async () => {
      while (next < posts.length) {
        const { body, headers } = posts[next++];
        const res = await request(sandbox.url, {
          method: 'POST',
          dispatcher: agent,
          headers: { ...headers, authorization: `Bearer ${sandbox.token}` },
          body,
        });
        const text = await res.body.text();
        if (res.statusCode !== 200)
          throw new Error(`raw transaction: HTTP ${res.statusCode} ${text.slice(0, 300)}`);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    const secs = secondsSince(t0);
    const cpu = { own: ownCpuMs() - cpu0, sandbox: cpuMsOf(sandbox.pid) - sandboxCpu0 };
    return { perSec: posts.length / secs, cpu };
  } finally {
    await agent.close();
    await sandbox.close();
  }
}

main(async () => {
  const n = pick({ full: 500, quick: 300, tiny: 10 });
  const runs = pick({ full: 5, quick: 3, tiny: 1 });
  const validator = createValidator({ packages: loadProjectProfiles() });
  if (pick({ full: true, quick: true, tiny: false })) await adapterRun(validator, Math.min(n, 30)); // warm-up (JIT)
  const adapter = [];
  const raw = [];
  for (let r = 0; r < runs; r++) {
    const a = await adapterRun(validator, n);
    adapter.push(a.perSec);
    const p = await rawRun(a.posted);
    raw.push(p.perSec);
    say(
      `run ${r + 1}: relay drain ${a.perSec.toFixed(0)} deliveries/s (${a.rows} rows); the same ${a.posted.length} transactions posted raw: ${p.perSec.toFixed(0)}/s`,
    );
    const k = a.posted.length;
    say(
      `  CPU ms per transaction: relay ${perRow(a.cpu.own, k)} + its sandbox ${perRow(a.cpu.sandbox, k)}; raw poster ${perRow(p.cpu.own, k)} + its sandbox ${perRow(p.cpu.sandbox, k)}`,
    );
  }
  const adapterPerSec = median(adapter);
  const rawPerSec = median(raw);
  say(
    `delivery to the sandbox (${IN_FLIGHT} in flight), medians of ${runs}: relay ${adapterPerSec.toFixed(0)}/s vs raw ${rawPerSec.toFixed(0)}/s (${(adapterPerSec / rawPerSec).toFixed(2)}×)`,
  );
  return {
    delivery: {
      rawPerSec: Math.round(rawPerSec),
      adapterPerSec: Math.round(adapterPerSec),
      ratio: Number((adapterPerSec / rawPerSec).toFixed(2)),
    },
  };
});
