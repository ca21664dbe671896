import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readConfig, readDeliveryConfig } from './settings';
import { buildDeliveryRuntime, buildRuntime, sandboxDestination } from './compose';
import { DEMO_STEPS, type DemoStep, type DemoWorld, type StepLog } from './demo-steps';
import { startSandbox } from '../sandbox';

/**
 * `kap-bridge demo` (DESIGN.md §8): the whole workflow on the fixtures, in a throwaway SQLite
 * database, delivering to a built-in sandbox FHIR server — the real use cases, relay and
 * gateway, nothing mocked. Part of the composition root (it builds real adapters and sets the
 * clock: the fixtures are dated November 2026, so the demo's clock is too).
 */

export interface DemoOptions {
  /** Where the narration goes (the CLI prints it on stdout). */
  say: (line: string) => void;
}

export interface DemoResult {
  /** True when every step's checks held. */
  ok: boolean;
  /** Titles of the steps whose checks failed (the steps after the first failure are skipped). */
  failed: string[];
  durationMs: number;
}

/** When the demo starts: the day after the first update's session, inside its integration window. */
export const DEMO_START = '2026-11-25T10:00:00-08:00';

/** Plays {@link DEMO_STEPS}; stops at the first step whose checks fail. Cleans up after itself. */
export async function runDemo(options: DemoOptions, steps: DemoStep[] = DEMO_STEPS): Promise<DemoResult> {
  const t0 = performance.now();
  const { say } = options;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-demo-'));
  const sandbox = await startSandbox({ host: '127.0.0.1' });
  let now = new Date(DEMO_START);
  const rt = await buildRuntime(readConfig({ DATABASE_URL: `sqlite:${path.join(dir, 'demo.db')}` }), {
    clock: () => new Date(now.getTime()),
  });
  const delivery = buildDeliveryRuntime(
    rt,
    readDeliveryConfig({}),
    {},
    {
      extraDestinations: [sandboxDestination(sandbox)],
    },
  );
  const world: DemoWorld = {
    rt,
    relay: delivery.relay,
    replyPull: delivery.replyPull,
    sandboxUrl: sandbox.url,
    sandboxToken: sandbox.token,
    setClock: (iso) => (now = new Date(iso)),
  };
  const failed: string[] = [];
  try {
    say(
      'kap-bridge demo — the referral → consent → update → revocation → referral status → reply workflow on fixtures/records (fictional people)',
    );
    say(`  delivering to a built-in sandbox FHIR server at ${sandbox.url} (nothing leaves this machine)`);
    say(`  data: a throwaway SQLite database in ${dir}; clock: ${DEMO_START} (${rt.config.timeZone})`);
    for (const [i, step] of steps.entries()) {
      say('');
      say(`${i + 1}. ${step.title}`);
      if (failed.length > 0) {
        say('   skipped (an earlier step failed)');
        continue;
      }
      if (!(await playStep(step, world, say))) failed.push(step.title);
    }
  } finally {
    await delivery.close();
    await rt.close();
    await sandbox.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const durationMs = Math.round(performance.now() - t0);
  say('');
  say(
    failed.length === 0
      ? `demo finished in ${(durationMs / 1000).toFixed(1)} s: every step behaved as expected`
      : `demo FAILED at: ${failed.join('; ')}`,
  );
  return { ok: failed.length === 0, failed, durationMs };
}

async function playStep(step: DemoStep, world: DemoWorld, say: (line: string) => void): Promise<boolean> {
  let ok = true;
  const log: StepLog = {
    say: (line) => say(`   ${line}`),
    check(pass, expectation) {
      if (!pass) ok = false;
      say(`   ${pass ? '✓' : '✗'} ${expectation}`);
    },
  };
  await step.run(world, log);
  return ok;
}
