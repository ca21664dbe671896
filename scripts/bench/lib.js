// Shared helpers of the benchmark measures (scripts/bench/*.js). Each measure is its own process
// (so one's heap and JIT state never colour another's figure): it prints readable lines on
// stderr and, as its last stdout line, one JSON object of figures that scripts/bench.js collects.
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '../..');
const dist = (p) => require(path.join(root, 'dist', p));
const cli = path.join(root, 'dist/entry/cli/main.js');

// As every kap-bridge command does (src/entry/cli/main.ts): the R4 base from the precomputed
// cache that `npm run build` writes, so in-process measures load the product as it ships.
dist('bootstrap/definitions').usePrecomputedDefinitions();

/** `--size quick|full|tiny` (scripts/bench.js passes it to every measure). */
function size() {
  const i = process.argv.indexOf('--size');
  const s = i > 0 ? process.argv[i + 1] : 'full';
  if (!['quick', 'full', 'tiny'].includes(s)) throw new Error(`--size must be quick, full or tiny, not ${s}`);
  return s;
}

/** Picks the value for the current size: `pick({ full: 5, quick: 3, tiny: 1 })`. */
function pick(values) {
  return values[size()];
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const secondsSince = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;

/** Readable line on stderr (stdout carries only the final JSON line). */
function say(line) {
  process.stderr.write(`${line}\n`);
}

/** Prints the measure's figures as its last stdout line. */
function report(figures) {
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

/** Runs `fn` and reports its figures; a failure exits 1 with the error on stderr. */
function main(fn) {
  fn()
    .then((figures) => report(figures))
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    });
}

/**
 * Runs a whole process and times it from spawn to exit (what a user waits for). Output is
 * drained but not kept beyond `keep` bytes. Resolves { ms, code, stdout, stderr }.
 */
function timeProcess(args, options = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, args, {
      cwd: options.cwd ?? root,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const keep = options.keep ?? 4096;
    child.stdout.on('data', (d) => {
      if (stdout.length < keep) stdout += d;
    });
    child.stderr.on('data', (d) => {
      if (stderr.length < keep) stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: secondsSince(t0) * 1000, code, stdout, stderr }));
  });
}

/**
 * Starts the sandbox FHIR server as its own process (the destination runs beside kap-bridge, as
 * a real EHR would, not inside it). Resolves { url, token, close }.
 */
function startSandboxProcess() {
  const token = `bench-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  const child = spawn(process.execPath, [cli, 'sandbox', '--port', '0', '--token', token], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`sandbox exited (${code}) before listening`)));
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening at (\S+)/.exec(out);
      if (!m) return;
      child.removeAllListeners('exit');
      child.stdout.removeAllListeners('data');
      child.stdout.resume();
      resolve({
        url: m[1],
        token,
        pid: child.pid,
        close: () =>
          new Promise((done) => {
            child.once('exit', done);
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

module.exports = {
  root,
  dist,
  cli,
  size,
  pick,
  median,
  secondsSince,
  say,
  report,
  main,
  timeProcess,
  startSandboxProcess,
};
