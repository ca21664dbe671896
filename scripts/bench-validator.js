#!/usr/bin/env node
// Validator throughput (issue 3, DESIGN.md §4): plain @medplum/core validateResource (base, and
// against a profile, which medplum re-parses on every call) vs kap-bridge's validator (base, and
// against the same profile, parsed once) on the same resources, in one run. Needs `npm run build`.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const core = require('@medplum/core');
const { createValidator } = require('../dist/fhir/validator');
const { loadFhirPackage, loadProjectProfiles } = require('../dist/adapters/fhir-packages/load-package');

const root = path.resolve(__dirname, '..');
// Vendored third-party material (test/conformance/README.md): the official R4 examples and US Core.
const examples = path.join(root, 'test/conformance/r4-examples');
const usCore = path.join(root, 'test/conformance/fhir-packages/hl7.fhir.us.core-3.1.0.tgz');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2); // per row

function resourcesOf(type) {
  return fs
    .readdirSync(examples)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(fs.readFileSync(path.join(examples, f), 'utf8')))
    .filter((r) => r.resourceType === type);
}

// The machine is shared, so rows are measured in interleaved rounds (each row gets a slice of
// every round) and the median round is reported: a load spike then hits all rows alike.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

function rateOnce(run, resources, seconds) {
  let n = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() - start < budget) {
    for (const r of resources) run(r);
    n += resources.length;
  }
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

function rates(runs, resources) {
  for (const run of runs) for (const r of resources) run(r); // warm-up (and first-use parsing)
  const samples = runs.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    runs.forEach((run, i) => samples[i].push(rateOnce(run, resources, SECONDS / ROUNDS)));
  }
  return samples.map((s) => s.sort((a, b) => a - b)[Math.floor(s.length / 2)]);
}

function medplum(r, options) {
  try {
    core.validateResource(r, options);
  } catch {
    // invalid resources count too: the work is the same
  }
}

const packages = [...loadProjectProfiles()];
packages.push(loadFhirPackage(usCore));
const validator = createValidator({ packages });
const sds = new Map(packages.flatMap((p) => p.structureDefinitions).map((sd) => [sd.url, sd]));

const targets = [
  ['https://kap-bridge.example/fhir/StructureDefinition/kap-consent', 'Consent'],
  ['http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient', 'Patient'],
];
const fmt = (x) => `${Math.round(x).toLocaleString('en-US')}/s`;
for (const [url, type] of targets) {
  const sd = sds.get(url);
  if (!sd) {
    console.log(`${url}: not loaded, skipped`);
    continue;
  }
  const resources = resourcesOf(type);
  const names = [
    'plain medplum, base',
    'plain medplum, profile (re-parsed each call)',
    'kap-bridge, base',
    'kap-bridge, profile (cached)',
  ];
  const values = rates(
    [
      (r) => medplum(r),
      (r) => medplum(r, { profile: sd }),
      (r) => validator.validate(r),
      (r) => validator.validate(r, { profile: url }),
    ],
    resources,
  );
  const rows = names.map((name, i) => [name, values[i]]);
  console.log(`${type} × ${resources.length} official R4 examples, profile ${url}`);
  for (const [name, value] of rows) console.log(`  ${name.padEnd(46)} ${fmt(value)}`);
  const ratio = rows[3][1] / rows[0][1];
  console.log(`  kap-bridge profile / plain medplum base: ${ratio.toFixed(2)}×`);
}
