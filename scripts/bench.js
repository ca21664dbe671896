#!/usr/bin/env node
// `npm run bench`: runs every scripts/bench-*.js in turn (each prints its own figures) after a
// build, and prints the machine it ran on, so README figures can say where they came from.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const only = process.argv.slice(2);
const cpu = os.cpus()[0];
console.log(
  `machine: ${os.cpus().length} × ${cpu ? cpu.model : 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${os.platform()} ${os.release()}`,
);
execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
const benches = fs
  .readdirSync(__dirname)
  .filter((f) => /^bench-.+\.js$/.test(f))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
let failed = 0;
for (const file of benches) {
  console.log(`\n== ${file}`);
  try {
    execFileSync(process.execPath, [path.join(__dirname, file)], { cwd: root, stdio: 'inherit' });
  } catch {
    failed++;
    console.log(`${file} failed`);
  }
}
process.exitCode = failed ? 1 : 0;
