'use strict';
// The worker processes of the chaos run (scripts/chaos.js): `kap-bridge sync` children that are
// killed or paused while they deliver, and the final fault-free drain.
/* global setTimeout, clearTimeout */
const { spawn } = require('node:child_process');
const path = require('node:path');
const { sleep } = require('./random');

const CLI = path.join(__dirname, '../../dist/entry/cli/main.js');
const FINAL_DRAIN_MS = 180_000;
const ONCE_TIMEOUT_MS = 60_000;

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
  // The run stops by itself; when it is interrupted, its workers must not outlive it.
  const killAll = () => workers.forEach((w) => w.child.kill('SIGKILL'));
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'])
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
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

module.exports = { createWorkers, runOnceWorker, drainToCompletion };
