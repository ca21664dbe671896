#!/usr/bin/env node
// `npm run bench [-- --quick] [-- --json] [-- NAME…]`: builds, prints the machine, runs every
// measure of scripts/bench/ (each its own process, each figure a median of several runs measured
// beside its peer in the same run), then prints a table. With --json the last line of stdout is
// the one JSON object of DESIGN.md §8 "Benchmarks". --quick (about three minutes) uses fewer runs
// and a 10,000-row drain instead of 100,000 (drainRows says which). --no-build skips the build;
// --size tiny is for the test that keeps the JSON contract from rotting (figures meaningless).
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const sizeAt = args.indexOf('--size');
const size = sizeAt >= 0 ? args[sizeAt + 1] : flag('quick') ? 'quick' : 'full';
const only = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--size');

/** The measures, in the order they run; each prints its figures as its last stdout line. */
const MEASURES = [
  'consent',
  'validation',
  'validate-cli',
  'ingest',
  'inbound-batch',
  'delivery',
  'cold-start',
  'drain-rss',
];
/** Figures printed only by the full run (no JSON key): the gateway and sandbox on their own. */
const EXTRAS = ['gateway', 'sandbox'];

function machine() {
  const cpu = os.cpus()[0];
  const load = os.loadavg()[0].toFixed(1);
  return `${os.cpus().length} × ${cpu ? cpu.model.trim() : 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${os.platform()} ${os.release()}, load average ${load} at the start`;
}

function runMeasure(name) {
  const started = Date.now();
  const res = spawnSync(process.execPath, [path.join(__dirname, 'bench', `${name}.js`), '--size', size], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const last = (res.stdout ?? '').trim().split('\n').pop() ?? '';
  if (res.status !== 0 || !last.startsWith('{')) {
    console.error(`bench ${name} failed (exit ${res.status})`);
    return { ok: false };
  }
  console.error(`(${name}: ${((Date.now() - started) / 1000).toFixed(0)} s)`);
  return { ok: true, figures: JSON.parse(last) };
}

const fmt = (x) => (typeof x === 'number' ? x.toLocaleString('en-US') : String(x));

/** The JSON object of DESIGN.md §8 (extra keys say what the quick run measured). */
function contract(m, f) {
  return {
    machine: m,
    validation: f.validation ?? null,
    validateCli: f.validateCli ?? null,
    ingest: f.ingest ?? null,
    inboundBatch: f.inboundBatch ?? null,
    delivery: f.delivery ?? null,
    coldStartMs: f.coldStartMs ?? null,
    drainRssMB: f.drainRssMB ?? null,
    drainRows: f.drainRows ?? null,
    consentP99Us: f.consentP99Us ?? null,
    size,
  };
}

function table(f) {
  const rows = [];
  const v = f.validation;
  if (v)
    rows.push([
      'profile validation (kap-consent) vs plain medplum base, in process',
      `${fmt(v.profilePerSec)}/s vs ${fmt(v.baselinePerSec)}/s (${v.ratio}×)`,
    ]);
  const c = f.validateCli;
  if (c) {
    rows.push([
      `\`kap-bridge validate\` ${fmt(c.files)} files vs plain medplum, whole processes`,
      `${c.kapSeconds} s vs ${c.medplumSeconds} s (${c.ratio}×)`,
    ]);
    rows.push(['`kap-bridge validate` one file, whole process', `${fmt(c.oneFileMs)} ms`]);
  }
  if (f.ingest) rows.push(['ingest, SQLite, durable', `${fmt(f.ingest.perSec)} records/s`]);
  const b = f.inboundBatch;
  if (b)
    rows.push([
      `inbound batch of ${fmt(b.referrals)} new-client referrals`,
      `${fmt(b.ms)} ms; ${fmt(b.msAt10kClients)} ms with ${fmt(b.clientsOnFile)} clients on file`,
    ]);
  const d = f.delivery;
  if (d)
    rows.push([
      'relay drain to the sandbox vs the same Bundles posted raw',
      `${fmt(d.adapterPerSec)}/s vs ${fmt(d.rawPerSec)}/s (${d.ratio}×)`,
    ]);
  if (f.coldStartMs !== undefined) rows.push(['`serve` start to listening', `${fmt(f.coldStartMs)} ms`]);
  if (f.drainRssMB !== undefined)
    rows.push([
      `RSS while draining ${fmt(f.drainRows)} outbox rows`,
      `peak ${fmt(f.drainRssMB)} MB (first tenth ${fmt(f.drainRssFirstTenthMB)} MB; JS heap peak ${fmt(f.drainHeapMB)} MB; ${fmt(f.drainPerSec)} rows/s)`,
    ]);
  if (f.consentP99Us !== undefined) rows.push(['consent decision p99, 10 consents', `${f.consentP99Us} µs`]);
  return ['| figure | measured |', '|---|---|', ...rows.map(([a, b2]) => `| ${a} | ${b2} |`)].join('\n');
}

function main() {
  const m = machine();
  console.log(`machine: ${m}`);
  if (!flag('no-build')) execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  const selected = (list) => list.filter((n) => only.length === 0 || only.some((o) => n.includes(o)));
  const figures = {};
  let failed = 0;
  for (const name of selected(MEASURES)) {
    console.error(`\n== ${name}`);
    const r = runMeasure(name);
    if (r.ok) Object.assign(figures, r.figures);
    else failed++;
  }
  if (size === 'full') {
    for (const name of selected(EXTRAS)) {
      console.log(`\n== ${name}`);
      const res = spawnSync(process.execPath, [path.join(__dirname, 'bench', `${name}.js`)], {
        cwd: root,
        stdio: 'inherit',
      });
      if (res.status !== 0) failed++;
    }
  }
  console.log(`\n${table(figures)}\n\nmachine: ${m}; load average ${os.loadavg()[0].toFixed(1)} at the end`);
  if (flag('json')) console.log(JSON.stringify(contract(m, figures)));
  process.exitCode = failed ? 1 : 0;
}

main();
