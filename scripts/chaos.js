#!/usr/bin/env node
// Chaos run of delivery (DESIGN.md §6 "effectively-once, leases, retries"; issue 10, point 7).
// Each iteration ingests a new client's records (referral, a consent that permits all, some or no
// sections, is refused, absent, or revoked; integration updates) into one real SQLite database,
// randomises the faults of a proxy in front of a real sandbox FHIR server (5xx, 429, resets,
// delays past the client timeout, responses lost after the destination committed), while two
// `kap-bridge sync` worker processes deliver; a worker is SIGKILLed (or SIGSTOPped for longer than
// a lease) at a random moment while it holds a lease, and started again. Some iterations also
// revoke an earlier client's consent while the workers run. At the end the outbox is drained with
// no faults (`sync --once` until nothing is due) and the sandbox's contents (FHIR search over
// HTTP) are compared with what consent permitted: every permitted item exactly once (by business
// identifier), every withheld item or section nowhere. Everything runs on 127.0.0.1. Needs
// `npm run build` (`npm run chaos` does it). Exit 0 clean, 1 a finding, 2 the run itself failed.
// Usage: node scripts/chaos.js [--iterations 200] [--seed N] [--json] [--keep] [--worker once]
// (`--worker once`: a cold `sync --once` per iteration instead of the two scheduled workers.)
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const dist = (p) => require(path.join(__dirname, '../dist', p));
const { readConfig } = dist('bootstrap/settings');
const { buildRuntime } = dist('bootstrap/compose');
const { startFaultProxy, startSandbox } = dist('sandbox');
const { compare } = require('./chaos/oracle');
const { prng, randomFaults, sleep } = require('./chaos/random');
const { makeClient, makeUpdate } = require('./chaos/records');
const { createWorkers, drainToCompletion, runOnceWorker } = require('./chaos/workers');

const DESTINATION = 'chaos-ehr';
/** The shortest lease the configuration allows: a killed worker's rows come due soon. */
const LEASE_MS = 5000;
/** Chance per iteration that the worker is killed (when it is up): ~25 kills in 200 iterations. */
const KILL_CHANCE = 0.2;
/** Chance per iteration that a delivering worker is paused (SIGSTOP) for longer than a lease. */
const PAUSE_CHANCE = 0.05;
/** `--worker once`: chance that an iteration's `sync --once` is killed once it took a lease. */
const ONCE_KILL_CHANCE = 0.7;

function parseArgs(argv) {
  const value = (name, fallback) => {
    const i = argv.indexOf(`--${name}`);
    if (i < 0) return fallback;
    const n = Number(argv[i + 1]);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} takes a whole number`);
    return n;
  };
  const worker = argv.includes('--worker') ? argv[argv.indexOf('--worker') + 1] : 'scheduled';
  if (worker !== 'scheduled' && worker !== 'once') throw new Error('--worker takes scheduled or once');
  return {
    worker,
    iterations: value('iterations', 200),
    seed: value('seed', Date.now() % 1_000_000_007),
    json: argv.includes('--json'),
    keep: argv.includes('--keep'),
  };
}

async function ingestOrFail(what, promise) {
  const r = await promise;
  if (r.status === 'rejected') {
    const text = (r.outcome.issue ?? []).map((i) => i.details?.text ?? i.code).join('; ');
    throw new Error(`chaos: ${what} was refused by ingest: ${text}`);
  }
  return r;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const rnd = prng(opts.seed);
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-chaos-'));
  const sandbox = await startSandbox({ host: '127.0.0.1' });
  const proxy = await startFaultProxy({ target: sandbox.url, host: '127.0.0.1' });
  const destinations = path.join(dir, 'destinations.json');
  fs.writeFileSync(
    destinations,
    JSON.stringify([
      {
        id: DESTINATION,
        baseUrl: proxy.url,
        // The sandbox refuses requests without its bearer token (DESIGN.md §8).
        auth: { type: 'bearer', tokenEnv: 'KAP_CHAOS_SANDBOX_TOKEN' },
        allowInsecure: true,
        allowPrivateNetwork: true,
      },
    ]),
  );
  // Short lease and backoff so a killed worker's rows and failed attempts come due within the
  // run; attempts high enough that random faults never make an item dead.
  const env = {
    PATH: process.env.PATH,
    DATABASE_URL: `sqlite:${path.join(dir, 'kap.db')}`,
    KAP_BRIDGE_DESTINATIONS: destinations,
    KAP_CHAOS_SANDBOX_TOKEN: sandbox.token,
    KAP_BRIDGE_DEFAULT_DESTINATION: DESTINATION,
    KAP_BRIDGE_LEASE_MS: String(LEASE_MS),
    KAP_BRIDGE_RETRY_BASE_MS: '20',
    KAP_BRIDGE_RETRY_MAX_ATTEMPTS: '1000',
    KAP_BRIDGE_SYNC_CRON: '* * * * * *',
    LOG_LEVEL: 'silent',
  };
  const rt = await buildRuntime(readConfig(env));
  const clients = [];
  const workers = opts.worker === 'scheduled' ? createWorkers(env, 2) : undefined;
  let kills = 0;
  let pauses = 0;
  let lateRevocations = 0;
  const progress = (line) => (opts.json ? process.stderr : process.stdout).write(`${line}\n`);
  progress(`chaos: seed ${opts.seed}, ${opts.iterations} iterations, data in ${dir}`);
  try {
    for (let i = 1; i <= opts.iterations; i++) {
      const now = Date.now();
      const client = makeClient(rnd, i, now);
      clients.push(client);
      await ingestOrFail(
        `referral ${client.referral.id}`,
        rt.ingest.referral(client.referral, { actor: 'chaos' }),
      );
      if (client.consent)
        await ingestOrFail(
          `consent ${client.consent.id}`,
          rt.ingest.consent(client.consent, { actor: 'chaos' }),
        );
      if (client.consentKind === 'revoked') await revoke(rt, client, now);
      const first = makeUpdate(rnd, client, 1, now);
      client.updates.push(first);
      await ingestOrFail(`update ${first.id}`, rt.ingest.update(first.record, { actor: 'chaos' }));
      proxy.setRules(randomFaults(rnd));
      const late = rnd.chance(0.2) ? lateRevocationTarget(rnd, clients, client) : undefined;
      const second = rnd.chance(0.5) ? makeUpdate(rnd, client, 2, now) : undefined;
      // While the worker delivers: the client's second update, and maybe an earlier client's
      // consent revoked (then a new update for that client, which must not leave).
      const during = async () => {
        await sleep(rnd.int(0, 200));
        if (second) {
          client.updates.push(second);
          await ingestOrFail(`update ${second.id}`, rt.ingest.update(second.record, { actor: 'chaos' }));
        }
        if (late) {
          lateRevocations += 1;
          await revokeLate(rt, rnd, late, Date.now());
        }
      };
      const concurrent = during();
      // Kill a worker only while it holds a lease (it is delivering), a random moment later.
      const roll = rnd.next();
      if (!workers) {
        if (await runOnceWorker(env, rt.store, rnd, ONCE_KILL_CHANCE)) kills += 1;
      } else if (roll < KILL_CHANCE && (await workers.killWhileDelivering(rt.store, 3000, rnd.int(0, 150))))
        kills += 1;
      else if (
        roll > 1 - PAUSE_CHANCE &&
        (await workers.pauseWhileDelivering(rt.store, 3000, rnd.int(0, 150), LEASE_MS + rnd.int(500, 3000)))
      )
        pauses += 1;
      else await sleep(rnd.int(100, 600));
      await concurrent;
      if (i % 20 === 0 || i === opts.iterations)
        progress(
          `chaos: ${i}/${opts.iterations} iterations, ${kills} kills, ${pauses} pauses, ${((Date.now() - started) / 1000).toFixed(0)} s`,
        );
    }
    await workers?.stop();
    proxy.setRules([]);
    const drain = await drainToCompletion(env, rt);
    const rows = await rt.store.listOutbox();
    const dead = rows.filter((r) => r.state === 'dead').length;
    const result = await compare(sandbox, clients, rows, LEASE_MS);
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    const summary = {
      seed: opts.seed,
      iterations: opts.iterations,
      kills,
      pauses,
      lateRevocations,
      items: result.items,
      delivered: result.delivered,
      lost: result.lost,
      duplicated: result.duplicated,
      leaked: result.leaked,
      stale: result.stale,
      raced: result.raced,
      unrecorded: result.unrecorded,
      dead,
      stuck: drain.stuck,
      seconds,
    };
    for (const f of result.findings.slice(0, 50)) progress(`chaos: ${f}`);
    if (opts.json) console.log(JSON.stringify(summary));
    else
      console.log(
        `chaos: seed ${summary.seed} — ${summary.iterations} iterations, ${kills} kills, ${pauses} pauses, ${summary.items} items, ${summary.delivered} delivered, ${summary.lost} lost, ${summary.duplicated} duplicated, ${summary.leaked} leaked, ${summary.stale} stale, ${dead} dead, ${drain.stuck} stuck (${summary.raced} raced a revocation, ${summary.unrecorded} unrecorded; ${seconds} s)`,
      );
    const bad = summary.lost + summary.duplicated + summary.leaked + summary.stale + summary.stuck;
    process.exitCode = bad > 0 ? 1 : 0;
  } finally {
    await rt.close();
    await proxy.close();
    await sandbox.close();
    if (!opts.keep && process.exitCode === 0) fs.rmSync(dir, { recursive: true, force: true });
    else progress(`chaos: data kept in ${dir}`);
  }
}

async function revoke(rt, client, now) {
  const body = {
    revokedAt: new Date(now - 60_000).toISOString(),
    reason: 'Client asked to stop sharing.',
    receivedBy: 'Front desk',
    method: 'verbal',
  };
  await ingestOrFail(
    `revocation of ${client.consent.id}`,
    rt.ingest.revoke(client.consent.id, body, { actor: 'chaos' }),
  );
  // The revocation is committed: a disclosure that lands later must have been under way already.
  client.revokedAtMs = Date.now();
}

/**
 * An earlier client whose consent still permits something, to be revoked while a worker runs: half
 * the time the most recent one, whose Consent may still be in flight (the revoked version must
 * end up on the destination, not the active one sent late).
 */
function lateRevocationTarget(rnd, clients, current) {
  const open = clients.filter(
    (c) => c !== current && c.shared.length > 0 && !c.revokedLate && c.consentKind !== 'revoked',
  );
  const last = open[open.length - 1];
  return last && rnd.chance(0.5) ? last : open.length > 0 ? rnd.pick(open) : undefined;
}

async function revokeLate(rt, rnd, client, now) {
  // What left before the revocation may be on the destination (at most once); the rest not.
  client.sharedBeforeRevocation = client.shared;
  for (const u of client.updates) u.raced = true;
  client.revokedLate = true;
  client.shared = [];
  await revoke(rt, client, now);
  const after = makeUpdate(rnd, client, client.updates.length + 1, now);
  client.updates.push(after);
  await ingestOrFail(`update ${after.id}`, rt.ingest.update(after.record, { actor: 'chaos' }));
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 2;
});
