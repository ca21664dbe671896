#!/usr/bin/env node
// Sandbox throughput over HTTP (DESIGN.md §8): delivery-shaped transactions per second — each a
// transaction Bundle with a conditional create (ifNoneExist) of a Patient and of a Communication
// about it — for the first 1,000 transactions on an empty sandbox, then again after preloading
// the repository directly to 50,000 resources. Needs `npm run build` first.
// Usage: node scripts/bench-sandbox.js [--preload N] [--tx N] [--concurrency N]
'use strict';
/* global fetch, setImmediate */
const path = require('node:path');
const { startSandbox } = require(path.join(__dirname, '../../dist/sandbox'));

const MRN = 'https://kap-bridge.example/fhir/sid/mrn';
const UPDATE = 'https://kap-bridge.example/fhir/sid/integration-update';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

function deliveryBundle(n) {
  const urn = `urn:uuid:00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: urn,
        resource: {
          resourceType: 'Patient',
          identifier: [{ system: MRN, value: `bench-${n}` }],
          name: [{ family: `Bench${n}` }],
        },
        request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${MRN}|bench-${n}` },
      },
      {
        resource: {
          resourceType: 'Communication',
          status: 'completed',
          identifier: [{ system: UPDATE, value: `bench-${n}` }],
          subject: { reference: urn },
          payload: [{ contentString: 'Integration session summary' }],
        },
        request: { method: 'POST', url: 'Communication', ifNoneExist: `identifier=${UPDATE}|bench-${n}` },
      },
    ],
  };
}

async function runTransactions(sandbox, from, count, concurrency) {
  let next = from;
  const end = from + count;
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  async function worker() {
    while (next < end) {
      const n = next++;
      const res = await fetch(sandbox.url, {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${sandbox.token}` },
        body: JSON.stringify(deliveryBundle(n)),
      });
      const body = await res.json();
      if (res.status !== 200) throw new Error(`transaction ${n}: HTTP ${res.status} ${JSON.stringify(body)}`);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  // On a shared machine wall-clock rates mostly measure the neighbours; CPU time (client and
  // server both run in this process, so it is a conservative figure) measures the sandbox.
  return `${(count / seconds).toFixed(0)} tx/s wall, ${(count / cpuSeconds).toFixed(0)} tx per CPU-second`;
}

async function preload(repository, target) {
  let n = 0;
  while (repository.size < target) {
    const p = await repository.createResource({
      resourceType: 'Patient',
      identifier: [{ system: MRN, value: `preload-${n}` }],
    });
    await repository.createResource({
      resourceType: 'Communication',
      status: 'completed',
      identifier: [{ system: UPDATE, value: `preload-${n}` }],
      subject: { reference: `Patient/${p.id}` },
    });
    n++;
    // Direct repository calls never leave the microtask queue; let sockets see their timers.
    if (n % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}

async function main() {
  const txCount = arg('tx', 1000);
  const preloadTo = arg('preload', 50000);
  const concurrency = arg('concurrency', 1);
  // Warm the JIT on a throwaway sandbox so the first figure measures the sandbox, not V8.
  const warm = await startSandbox();
  await runTransactions(warm, 0, 200, concurrency);
  await warm.close();
  const sandbox = await startSandbox();
  try {
    const first = await runTransactions(sandbox, 0, txCount, concurrency);
    console.log(`first ${txCount} transactions (0 → ${sandbox.repository.size} resources): ${first}`);
    const t0 = Date.now();
    await preload(sandbox.repository, preloadTo);
    console.log(
      `preloaded directly to ${sandbox.repository.size} resources in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    const before = sandbox.repository.size;
    const later = await runTransactions(sandbox, txCount, txCount, concurrency);
    console.log(`${txCount} transactions at ${before} → ${sandbox.repository.size} resources: ${later}`);
    const again = await runTransactions(sandbox, txCount, Math.min(txCount, 200), concurrency);
    console.log(
      `re-sent (all conditional creates match, nothing new): ${again}, size ${sandbox.repository.size}`,
    );
    console.log(
      `(concurrency ${concurrency}; each transaction = conditional create of a Patient + a Communication;`,
    );
    console.log(
      ` load average at the end: ${require('node:os').loadavg()[0].toFixed(1)} on ${require('node:os').cpus().length} CPUs)`,
    );
  } finally {
    await sandbox.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
