// Validator throughput in process (issue 3, DESIGN.md §4): plain @medplum/core validateResource
// (base, and against a profile, which medplum re-parses on every call) vs kap-bridge's validator
// (base, and against the same profile, parsed once) on the same resources, in one run.
// Figures (kap-consent on the official Consent examples): { validation: { baselinePerSec (plain
// medplum, base), profilePerSec (kap-bridge, profile), ratio } }.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const core = require('@medplum/core');
const { root, dist, main, pick, say } = require('./lib');
const { createValidator } = dist('fhir/validator');
const { loadFhirPackage, loadProjectProfiles } = dist('adapters/fhir-packages/load-package');

// Vendored third-party material (test/conformance/README.md): the official R4 examples and US Core.
const examples = path.join(root, 'test/conformance/r4-examples');
const usCore = path.join(root, 'test/conformance/fhir-packages/hl7.fhir.us.core-3.1.0.tgz');
const SECONDS = pick({ full: 3, quick: 1.5, tiny: 0.1 }); // per row

function resourcesOf(type) {
  return fs
    .readdirSync(examples)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(fs.readFileSync(path.join(examples, f), 'utf8')))
    .filter((r) => r.resourceType === type);
}

// The machine is shared, so rows are measured in interleaved rounds (each row gets a slice of
// every round) and the median round is reported: a load spike then hits all rows alike.
// Many short rounds: on a shared machine a load spike then spoils a few slices, not the median.
const ROUNDS = pick({ full: 15, quick: 9, tiny: 1 });

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

main(async () => {
  const packages = [...loadProjectProfiles()];
  packages.push(loadFhirPackage(usCore));
  const validator = createValidator({ packages });
  const sds = new Map(packages.flatMap((p) => p.structureDefinitions).map((sd) => [sd.url, sd]));

  const allTargets = [
    ['https://kap-bridge.example/fhir/StructureDefinition/kap-consent', 'Consent'],
    ['http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient', 'Patient'],
  ];
  const targets = pick({ full: allTargets, quick: allTargets.slice(0, 1), tiny: allTargets.slice(0, 1) });
  const fmt = (x) => `${Math.round(x).toLocaleString('en-US')}/s`;
  const figures = {};
  for (const [url, type] of targets) {
    const sd = sds.get(url);
    if (!sd) throw new Error(`${url}: not loaded`);
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
    say(`${type} × ${resources.length} official R4 examples, profile ${url}`);
    for (const [name, value] of rows) say(`  ${name.padEnd(46)} ${fmt(value)}`);
    const ratio = rows[3][1] / rows[0][1];
    say(`  kap-bridge profile / plain medplum base: ${ratio.toFixed(2)}×`);
    if (!figures.validation) {
      figures.validation = {
        baselinePerSec: Math.round(rows[0][1]),
        profilePerSec: Math.round(rows[3][1]),
        ratio: Number(ratio.toFixed(2)),
      };
    }
  }
  return figures;
});
