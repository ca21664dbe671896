import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { runDemo } from '../../src/bootstrap/demo';

/**
 * `kap-bridge demo` doubles as a smoke test: every step checks its own result and the exit code
 * says whether all held. Runs the built CLI (`npm run build`; jest's `pretest` does it).
 */

const ROOT = path.join(__dirname, '../..');

test('the demo plays every step of the workflow, narrates each with its checks, and exits 0', async () => {
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    [path.join(ROOT, 'dist/entry/cli/main.js'), 'demo'],
    {
      env: { PATH: process.env.PATH },
    },
  );
  expect(stderr).toBe('');
  const titles = stdout.match(/^\d+\. .+$/gm) ?? [];
  expect(titles.map((t) => t.replace(/ \(.*$/, ''))).toEqual([
    '1. A referral arrives',
    '2. She signs a partial consent',
    '3. An integration update is written',
    '4. The clinician’s EHR holds exactly one copy',
    '5. Sync again',
    '6. She revokes her consent by phone',
    '7. Another update after the revocation',
    '8. Her disclosure log',
    '9. She consents again, now also to sharing her referral status',
    '10. The practice accepts the referral → a Task on the sandbox',
    '11. Her therapist replies from her EHR → the practice sees it',
  ]);
  expect(stdout).toContain('delivering to a built-in sandbox FHIR server at http://127.0.0.1:');
  expect(stdout).toContain('removed before sending: observations');
  expect(stdout).toContain('the Consent on the sandbox is now inactive');
  expect(stdout).toContain('✓ the update is withheld');
  expect(stdout).toContain('the sandbox holds 1 Task for her referral: status accepted');
  expect(stdout).toContain('✓ the reply arrived exactly once, linked to her referral');
  expect(stdout).not.toContain('✗');
  expect(stdout).toMatch(/demo finished in [\d.]+ s: every step behaved as expected/);
}, 120_000);

test('when a step’s check fails, the demo reports that step, skips the rest and is not ok (exit 1)', async () => {
  const lines: string[] = [];
  const result = await runDemo({ say: (l) => lines.push(l) }, [
    {
      title: 'a step whose expectation does not hold',
      run: async (_w, log) => log.check(false, 'two plus two is five'),
    },
    { title: 'a later step', run: async (_w, log) => log.check(true, 'never reached') },
  ]);
  expect(result).toMatchObject({ ok: false, failed: ['a step whose expectation does not hold'] });
  expect(lines).toContain('   ✗ two plus two is five');
  expect(lines).toContain('   skipped (an earlier step failed)');
  expect(lines.join('\n')).not.toContain('never reached');
}, 60_000);
