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
/* global fetch, setTimeout, clearTimeout */
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const dist = (p) => require(path.join(__dirname, '../dist', p));
const { readConfig } = dist('config');
const { buildRuntime } = dist('main');
const { CODE_SYSTEM, EXTENSION, IDENTIFIER_SYSTEM } = dist('fhir/canonical');
const { startFaultProxy, startSandbox } = dist('sandbox');
const { resourceId } = dist('mapping');

/** The practice's own resource id for a business id, per resource type. */
const LOCAL_ID = {
  ServiceRequest: resourceId.serviceRequest,
  Consent: resourceId.consent,
  Communication: resourceId.communication,
};

const CLI = path.join(__dirname, '../dist/cli/main.js');
const SECTIONS = ['session-focus', 'observations', 'integration-suggestions'];
const CODES = ['referral-status', ...SECTIONS];
const CLINICIANS = ['1234567893', '1458932047', '1670428154'];
const AUTHOR = { npi: '1326044793', name: { given: ['Sam'], family: 'Rivera', suffix: ['PsyD'] } };
const DESTINATION = 'chaos-ehr';
const LEASE_MS = 5000;
const FINAL_DRAIN_MS = 180_000;
const ONCE_TIMEOUT_MS = 60_000;
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

/** mulberry32: a small seeded PRNG, so a run can be replayed with `--seed`. */
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: (xs) => xs[Math.floor(next() * xs.length)],
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Faults: each iteration replaces the proxy's rules with 0–3 random ones. Only retryable faults
// (network errors, 429, 5xx, lost responses, delays): a 4xx other than 429 makes an item dead at
// once by design (DESIGN.md §6), which is not what this run is about.

function randomFaults(rnd) {
  const rules = [];
  const n = rnd.int(0, 3);
  for (let i = 0; i < n; i++) {
    const kind = rnd.pick(['503', '500', '429', 'drop-response', 'drop-response', 'reset', 'delay']);
    const times = rnd.int(1, 3);
    const match = rnd.chance(0.5) ? { method: rnd.pick(['POST', 'PUT', 'GET']) } : undefined;
    const fault =
      kind === 'drop-response' || kind === 'reset'
        ? { kind }
        : kind === 'delay'
          ? { kind, ms: rnd.chance(0.3) ? rnd.int(1500, 2500) : rnd.int(20, 400) }
          : kind === '429'
            ? { kind: 'status', status: 429, retryAfter: 0 }
            : { kind: 'status', status: Number(kind) };
    rules.push({ fault, times, ...(match ? { match } : {}) });
  }
  return rules;
}

// ---------------------------------------------------------------------------------------------
// Records. Dates are in the past (ingest refuses a future signedAt/writtenAt); each section text
// carries a marker, so a withheld section can be looked for on the destination.

function dateOnly(d) {
  return d.toISOString().slice(0, 10);
}

function marker(tag) {
  return `Marker ${tag}.`;
}

function makeClient(rnd, i, now) {
  const n = String(i).padStart(4, '0');
  const npi = rnd.pick(CLINICIANS);
  const consentKind = rnd.pick(['full', 'partial', 'partial', 'deny', 'none', 'revoked']);
  const shared =
    consentKind === 'full'
      ? [...CODES]
      : consentKind === 'partial'
        ? partialShare(rnd)
        : consentKind === 'revoked'
          ? partialShare(rnd)
          : [];
  const mrn = `KAP-9${n.padStart(5, '0')}`;
  const referral = {
    id: `REF-CHAOS-${n}`,
    receivedAt: new Date(now - 3 * 86_400_000).toISOString(),
    source: 'clinician',
    client: {
      mrn,
      name: { given: ['Chaos'], family: `Client${n}` },
      birthDate: '1980-01-01',
      gender: 'unknown',
    },
    referringClinician: {
      npi,
      name: { given: ['Ref'], family: `Clinician${npi.slice(-3)}` },
      role: 'psychotherapist',
      ...(rnd.chance(0.5) ? { referralId: `PL-${n}` } : {}),
    },
    reason: { text: 'Treatment-resistant depression' },
  };
  const consent =
    consentKind === 'none'
      ? undefined
      : {
          id: `CON-CHAOS-${n}`,
          referralId: referral.id,
          clientMrn: mrn,
          recipientNpi: npi,
          decision: consentKind === 'deny' ? 'deny' : 'permit',
          share: consentKind === 'deny' ? [] : shared,
          validFrom: dateOnly(new Date(now - 2 * 86_400_000)),
          signedAt: new Date(now - 2 * 3_600_000).toISOString(),
          signedBy: 'client',
        };
  return {
    n,
    mrn,
    npi,
    consentKind,
    // What the consent permits at the end; a revocation empties it.
    shared: consentKind === 'full' || consentKind === 'partial' ? shared : [],
    sharedBeforeRevocation: consentKind === 'revoked' ? shared : [],
    referral,
    consent,
    updates: [],
    revokedLate: false,
  };
}

function partialShare(rnd) {
  for (;;) {
    const s = CODES.filter(() => rnd.chance(0.5));
    if (s.length > 0 && s.length < CODES.length) return s;
  }
}

function makeUpdate(rnd, client, k, now) {
  const tag = `CHX${client.n}U${k}`;
  const observations = {};
  for (const field of ['emotional', 'cognitive', 'sensory'])
    if (rnd.chance(0.6)) observations[field] = `Calm and present. ${marker(`${tag}-${field}`)}`;
  if (Object.keys(observations).length === 0) observations.sensory = `Warmth. ${marker(`${tag}-sensory`)}`;
  const suggestions = rnd.chance(0.7) ? [`Paced breathing. ${marker(`${tag}-suggestion`)}`] : undefined;
  const record = {
    id: `UPD-CHAOS-${client.n}-${k}`,
    referralId: client.referral.id,
    sessionDate: dateOnly(new Date(now - 86_400_000)),
    sessionNumber: k,
    author: AUTHOR,
    focus: `Safety and agency. ${marker(`${tag}-focus`)}`,
    observations,
    ...(suggestions ? { suggestions } : {}),
    writtenAt: new Date(now - 30 * 60_000).toISOString(),
  };
  const markers = {
    'session-focus': [`${tag}-focus`],
    observations: Object.keys(observations).map((f) => `${tag}-${f}`),
    'integration-suggestions': suggestions ? [`${tag}-suggestion`] : [],
  };
  // `raced`: ingested before a late revocation, so it may or may not have left (at most once).
  return { id: record.id, record, markers, raced: false, afterRevocation: false };
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
// The worker: `kap-bridge sync` as a child process, syncing every second, SIGKILLed at random
// moments while it is delivering and started again. A worker takes seconds to start (it loads
// the FHIR definitions), so it lives across iterations; a kill per iteration would measure
// start-up, not delivery.

function spawnCli(env, args) {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    if (stderr.length < 4000) stderr += d;
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited, stderr: () => stderr, killed: false };
}

/**
 * The first of `workers` (alive, not paused) that holds a lease on an in-flight row — it is
 * delivering — waiting up to `ms` for one; undefined when none did or all have exited.
 */
async function holdingLease(store, workers, ms) {
  const deadline = Date.now() + ms;
  const alive = (x) => x.child.exitCode === null && x.child.signalCode === null && !x.paused;
  while (Date.now() < deadline && workers.some(alive)) {
    const owners = (await store.listOutbox({ state: 'in-flight' })).map((r) => r.leaseOwner ?? '');
    const w = workers.find((x) => alive(x) && owners.some((o) => o.includes(`:${x.child.pid}:`)));
    if (w) return w;
    await sleep(10);
  }
  return undefined;
}

/**
 * `--worker once`: one `kap-bridge sync --once` per iteration, SIGKILLed a random moment after it
 * took a lease (with `chance`), else left to finish. Each one starts cold (seconds, mostly
 * loading the FHIR definitions), so this mode takes far longer per iteration. Returns whether it
 * killed.
 */
async function runOnceWorker(env, store, rnd, chance) {
  const w = spawnCli(env, ['sync', '--once']);
  const timer = setTimeout(() => w.child.kill('SIGKILL'), ONCE_TIMEOUT_MS);
  let killed = false;
  if (rnd.chance(chance) && (await holdingLease(store, [w], ONCE_TIMEOUT_MS))) {
    await sleep(rnd.int(0, 150));
    w.killed = true;
    killed = w.child.kill('SIGKILL');
  }
  const { code, signal } = await w.exited;
  clearTimeout(timer);
  if (!w.killed && signal === null && code !== 0 && code !== 1)
    throw new Error(`chaos: sync --once failed (exit ${code}): ${w.stderr()}`);
  return killed;
}

/**
 * Two long-lived scheduled workers sharing the outbox (leases keep them apart, DESIGN.md §6), so
 * one is delivering while the other starts again after a kill.
 */
function createWorkers(env, count) {
  const workers = [];
  const start = (slot) => {
    const w = spawnCli(env, ['sync']);
    void w.exited.then(({ code, signal }) => {
      if (!w.killed)
        console.error(`chaos: a worker exited by itself (code ${code}, signal ${signal}): ${w.stderr()}`);
    });
    workers[slot] = w;
  };
  for (let slot = 0; slot < count; slot++) start(slot);
  const pausing = [];
  const deliveringWorker = (store, ms) => holdingLease(store, workers, ms);
  return {
    /**
     * Waits (up to `ms`) until a worker holds a lease on an in-flight row — it is delivering —
     * then, after `delayMs`, SIGKILLs it and starts another in its place. Returns whether it did.
     */
    async killWhileDelivering(store, ms, delayMs) {
      const w = await deliveringWorker(store, ms);
      if (!w) return false;
      await sleep(delayMs);
      w.killed = true;
      const sent = w.child.kill('SIGKILL');
      await w.exited;
      start(workers.indexOf(w));
      return sent;
    },
    /**
     * Like `killWhileDelivering`, but SIGSTOPs the worker for `pauseMs` (longer than a lease),
     * then lets it go on: a stalled worker whose rows the other one takes over, and which wakes up
     * mid-push (a long GC pause, a suspended VM). Returns at once; the pause runs on.
     */
    async pauseWhileDelivering(store, ms, delayMs, pauseMs) {
      const w = await deliveringWorker(store, ms);
      if (!w || w.paused) return false;
      await sleep(delayMs);
      w.paused = true;
      if (!w.child.kill('SIGSTOP')) return false;
      pausing.push(
        sleep(pauseMs).then(() => {
          if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGCONT');
          w.paused = false;
        }),
      );
      return true;
    },
    async stop() {
      await Promise.all(pausing);
      for (const w of workers) {
        w.killed = true;
        w.child.kill('SIGKILL');
        await w.exited;
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The final drain, with no faults: leases of killed workers expire, retry-wait rows come due.

const PENDING = ['queued', 'in-flight', 'retry-wait'];

async function drainToCompletion(env, rt) {
  const deadline = Date.now() + FINAL_DRAIN_MS;
  let runs = 0;
  for (;;) {
    const pending = (await rt.store.listOutbox()).filter((r) => PENDING.includes(r.state));
    if (pending.length === 0) return { runs, stuck: 0 };
    if (Date.now() > deadline) return { runs, stuck: pending.length };
    const once = spawnCli(env, ['sync', '--once']);
    // Bounded: a drain that hangs is killed (its rows' leases expire) and counted as stuck below.
    const timer = setTimeout(() => once.child.kill('SIGKILL'), ONCE_TIMEOUT_MS);
    await once.exited;
    clearTimeout(timer);
    runs += 1;
    const still = (await rt.store.listOutbox()).filter((r) => PENDING.includes(r.state));
    // Nothing moved: the rest is leased by a killed worker or waiting for its retry time.
    if (still.length === pending.length) await sleep(500);
  }
}

// ---------------------------------------------------------------------------------------------
// The oracle: what the destination holds against what consent permitted.

async function searchAll(base, type) {
  const out = [];
  let url = `${base}/${type}?_count=500`;
  while (url) {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`chaos: search ${type} answered ${res.status}`);
    const bundle = await res.json();
    for (const e of bundle.entry ?? []) out.push(e.resource);
    url = (bundle.link ?? []).find((l) => l.relation === 'next')?.url;
  }
  return out;
}

function byIdentifier(resources, system) {
  const map = new Map();
  for (const r of resources)
    for (const id of r.identifier ?? [])
      if (id.system === system) map.set(id.value, [...(map.get(id.value) ?? []), r]);
  return map;
}

function sectionsOf(communication) {
  return (communication.payload ?? []).flatMap((p) =>
    (p.extension ?? [])
      .filter((e) => e.url === EXTENSION.shareCode && e.valueCoding?.system === CODE_SYSTEM.share)
      .map((e) => e.valueCoding.code),
  );
}

async function compare(sandboxUrl, clients, rows) {
  const [communications, requests, consents, patients] = await Promise.all(
    ['Communication', 'ServiceRequest', 'Consent', 'Patient'].map((t) => searchAll(sandboxUrl, t)),
  );
  const comms = byIdentifier(communications, IDENTIFIER_SYSTEM.integrationUpdate);
  const srs = byIdentifier(requests, IDENTIFIER_SYSTEM.referral);
  const cons = byIdentifier(consents, IDENTIFIER_SYSTEM.consent);
  const pats = byIdentifier(patients, IDENTIFIER_SYSTEM.mrn);
  const everything = JSON.stringify([communications, requests, consents]);
  const t = { items: 0, delivered: 0, lost: 0, duplicated: 0, leaked: 0, stale: 0, raced: 0, unrecorded: 0 };
  const findings = [];
  // What the practice believes it disclosed (the outbox rows behind its disclosure log).
  const recorded = new Set(
    rows.filter((r) => r.state === 'delivered').map((r) => `${r.resourceType}/${r.resourceId}`),
  );
  const check = (what, expected, found, racy = false) => {
    t.items += 1;
    const [type, businessId] = what.split(' ');
    const local = `${type}/${LOCAL_ID[type](businessId)}`;
    if (found === 0 && recorded.has(local)) {
      t.lost += 1;
      findings.push(`lost: ${what} (recorded as delivered, not on the destination)`);
      return;
    }
    if (found > 0 && !recorded.has(local)) {
      // On the destination, but the practice's record of disclosures does not say so (e.g. the
      // destination committed, the answer was lost, and a revocation withheld the retry).
      t.unrecorded += 1;
      findings.push(`unrecorded: ${what} is on the destination, no outbox row says delivered`);
    }
    if (found > 1) {
      t.duplicated += 1;
      findings.push(`duplicated: ${what} (${found} copies)`);
    } else if (racy) {
      t.raced += 1;
      if (found === 1) t.delivered += 1;
    } else if (expected && found === 0) {
      t.lost += 1;
      findings.push(`lost: ${what}`);
    } else if (!expected && found > 0) {
      t.leaked += 1;
      findings.push(`leaked: ${what}`);
    } else if (found === 1) t.delivered += 1;
  };
  // A raced item may have left before the revocation, or while it was being recorded; one that
  // reached the destination more than a lease after it was a push the revocation should have
  // stopped (a worker that outlived its lease).
  const lateAfterRevocation = (c, what, copies) => {
    for (const copy of copies) {
      const at = Date.parse(copy.meta?.lastUpdated ?? '');
      if (!(at > c.revokedAtMs + LEASE_MS)) continue;
      t.leaked += 1;
      findings.push(
        `leaked: ${what} reached the destination ${at - c.revokedAtMs} ms after the revocation was recorded`,
      );
    }
  };
  for (const c of clients) {
    // A running worker may take the ServiceRequest between the consent and its revocation (a
    // disclosure made before the revocation is allowed), so it is at most once, like the items of
    // a client revoked later.
    const racy =
      c.revokedLate || (c.consentKind === 'revoked' && c.sharedBeforeRevocation.includes('referral-status'));
    const srCopies = srs.get(c.referral.id) ?? [];
    check(`ServiceRequest ${c.referral.id}`, c.shared.includes('referral-status'), srCopies.length, racy);
    if (racy) lateAfterRevocation(c, `ServiceRequest ${c.referral.id}`, srCopies);
    if (c.consent) {
      const copies = cons.get(c.consent.id) ?? [];
      const sendsConsent = c.consentKind !== 'deny' && c.consentKind !== 'none';
      check(`Consent ${c.consent.id}`, sendsConsent, copies.length);
      const want = c.consentKind === 'revoked' || c.revokedLate ? 'inactive' : 'active';
      if (copies.length === 1 && copies[0].status !== want) {
        t.stale += 1;
        findings.push(
          `stale: Consent ${c.consent.id} is ${copies[0].status} on the destination, not ${want}`,
        );
      }
    }
    if (c.consentKind === 'deny' || c.consentKind === 'none') {
      const found = (pats.get(c.mrn) ?? []).length;
      if (found > 0) {
        t.leaked += 1;
        findings.push(`leaked: Patient ${c.mrn} (no consent to share anything)`);
      }
    }
    for (const u of c.updates) {
      const racyUpdate = u.raced;
      const permitted = SECTIONS.filter((s) => c.shared.includes(s) && u.markers[s].length > 0);
      const copies = comms.get(u.id) ?? [];
      check(`Communication ${u.id}`, permitted.length > 0, copies.length, racyUpdate);
      if (racyUpdate) lateAfterRevocation(c, `Communication ${u.id}`, copies);
      const allowed = racyUpdate ? c.sharedBeforeRevocation : c.shared;
      for (const s of SECTIONS) {
        if (allowed.includes(s)) continue;
        for (const m of u.markers[s]) {
          if (!everything.includes(marker(m))) continue;
          t.leaked += 1;
          findings.push(`leaked: section ${s} of ${u.id}`);
        }
      }
      for (const copy of copies) {
        const extra = sectionsOf(copy).filter((s) => !allowed.includes(s));
        if (extra.length > 0) {
          t.leaked += 1;
          findings.push(`leaked: ${u.id} carries ${extra.join(', ')}`);
        }
        const missing = racyUpdate ? [] : permitted.filter((s) => !sectionsOf(copy).includes(s));
        if (missing.length > 0) {
          t.lost += 1;
          findings.push(`lost: ${u.id} lacks permitted ${missing.join(', ')}`);
        }
      }
    }
  }
  return { ...t, findings };
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
        auth: { type: 'none' },
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
    const result = await compare(sandbox.url, clients, rows);
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
  after.afterRevocation = true;
  client.updates.push(after);
  await ingestOrFail(`update ${after.id}`, rt.ingest.update(after.record, { actor: 'chaos' }));
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 2;
});
