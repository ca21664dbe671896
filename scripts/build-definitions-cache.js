#!/usr/bin/env node
// Part of `npm run build`: writes dist/r4-definitions.cache, the precomputed R4 base that `serve`,
// `validate` and every other command restore instead of indexing 37 MB of StructureDefinitions
// at each start (src/adapters/fhir-packages/definitions-cache.ts; issue 12).
'use strict';
const path = require('node:path');
const { defaultDefinitionsCacheFile, writeDefinitionsCache } = require(
  path.join(__dirname, '../dist/adapters/fhir-packages/definitions-cache'),
);

const started = Date.now();
const file = defaultDefinitionsCacheFile();
const bytes = writeDefinitionsCache(file);
if (process.argv.includes('--verbose')) {
  console.log(
    `${path.relative(process.cwd(), file)}: ${(bytes / 2 ** 20).toFixed(1)} MB in ${Date.now() - started} ms`,
  );
}
