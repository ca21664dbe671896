#!/usr/bin/env node
// FHIR gateway throughput over HTTP against the sandbox (DESIGN.md §6): delivery units of four
// resources (Communication + Patient + Practitioner + Organization, the Patient referencing the
// Organization) pushed with transport `transaction` and `conditional`, first as new units, then
// replayed (every conditional create answers 200: alreadyThere). Needs `npm run build` first.
// Usage: node scripts/bench-gateway.js [--units N] [--concurrency N]
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { startSandbox } = require(path.join(__dirname, '../../dist/sandbox'));
const { createFhirGateway } = require(path.join(__dirname, '../../dist/adapters/destination/fhir-gateway'));
const { createGuardedHttpClient } = require(
  path.join(__dirname, '../../dist/adapters/destination/http-client'),
);
const { createBearerAuth } = require(path.join(__dirname, '../../dist/adapters/destination/auth'));
const { parseDestinations } = require(path.join(__dirname, '../../dist/adapters/destination/destinations'));

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const template = fs.readFileSync(
  path.join(__dirname, '../../fixtures/delivery/unit-communication.json'),
  'utf8',
);
function unit(tag) {
  const items = JSON.parse(template);
  for (const item of items) {
    item.identifier.value += tag;
    for (const id of item.resource.identifier) id.value += tag;
  }
  return items;
}

async function run(gateway, dest, units, concurrency) {
  let next = 0;
  let already = 0;
  const started = process.hrtime.bigint();
  async function worker() {
    while (next < units.length) {
      const u = units[next++];
      const r = await gateway.push(dest, u);
      if (r.kind !== 'delivered') throw new Error(JSON.stringify(r));
      if (r.alreadyThere) already++;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { perSecond: units.length / seconds, already };
}

async function main() {
  const count = arg('units', 500);
  const concurrency = arg('concurrency', 1);
  const sandbox = await startSandbox();
  const http = createGuardedHttpClient();
  const gateway = createFhirGateway({
    http,
    authFor: () => createBearerAuth(sandbox.token),
    now: () => Date.now(),
  });
  try {
    for (const transport of ['transaction', 'conditional']) {
      const parsed = parseDestinations([
        {
          id: `bench-${transport}`,
          baseUrl: sandbox.url,
          auth: { type: 'none' },
          transport,
          allowInsecure: true,
          allowPrivateNetwork: true,
        },
      ]);
      const dest = parsed.destinations[0];
      const units = Array.from({ length: count }, (_, i) => unit(`-${transport}-${i}`));
      const fresh = await run(gateway, dest, units, concurrency);
      const replay = await run(gateway, dest, units, concurrency);
      console.log(
        `${transport.padEnd(11)} ${count} units × 4 resources, concurrency ${concurrency}: ` +
          `new ${fresh.perSecond.toFixed(0)} units/s, replay ${replay.perSecond.toFixed(0)} units/s (alreadyThere ${replay.already}/${count})`,
      );
    }
  } finally {
    await http.close();
    await sandbox.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
