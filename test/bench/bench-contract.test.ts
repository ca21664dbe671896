import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * The benchmark's JSON line (DESIGN.md §8 "Benchmarks") cannot rot silently: `npm run bench`
 * with every measure at a tiny size (figures meaningless, so none is judged) must end with the
 * one JSON object holding every key of the contract, each a number where a figure is expected.
 * Needs `dist/` (npm test builds first).
 */

jest.setTimeout(600_000);

const BENCH = path.join(__dirname, '../../scripts/bench.js');

const figure = expect.any(Number);

test('npm run bench -- --json prints, as its last line, every key of the DESIGN §8 object', () => {
  const run = spawnSync(process.execPath, [BENCH, '--size', 'tiny', '--json', '--no-build'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  expect(run.stderr).not.toMatch(/failed/);
  expect(run.status).toBe(0);
  const last = run.stdout.trim().split('\n').pop() ?? '';
  const json = JSON.parse(last) as Record<string, unknown>;
  expect(json).toEqual(
    expect.objectContaining({
      machine: expect.stringMatching(/node v\d+/),
      validation: { baselinePerSec: figure, profilePerSec: figure, ratio: figure },
      validateCli: {
        files: figure,
        kapSeconds: figure,
        medplumSeconds: figure,
        ratio: figure,
        oneFileMs: figure,
      },
      ingest: { perSec: figure },
      inboundBatch: expect.objectContaining({ referrals: figure, ms: figure, msAt10kClients: figure }),
      delivery: { rawPerSec: figure, adapterPerSec: figure, ratio: figure },
      coldStartMs: figure,
      drainRssMB: figure,
      drainRows: figure,
      consentP99Us: figure,
    }),
  );
  // The table a person reads comes before it, with the machine it ran on.
  expect(run.stdout).toMatch(/\| figure \| measured \|/);
});
