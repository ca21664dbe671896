import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { RETRYABLE_STATES } from '../../src/outbox';

const cli = path.join(__dirname, '../../dist/entry/cli/main.js');

describe('kap-bridge CLI', () => {
  test('when asked for help, it names the program and exits 0', () => {
    const out = execFileSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
    expect(out).toContain('Usage: kap-bridge');
  });

  test('when asked for a sub-command help or the version, it exits 0', () => {
    for (const args of [['ingest', '--help'], ['outbox', 'list', '--help'], ['--version']]) {
      expect(spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' }).status).toBe(0);
    }
  });

  // README "CLI reference": exit 2 is usage; commander's own default for usage errors is 1,
  // which would read as "the input broke a rule".
  test.each([
    ['an unknown command', ['no-such-command']],
    ['an unknown record kind for ingest', ['ingest', 'letter', 'x.json']],
    ['an unknown record kind for map', ['map', 'letter', 'x.json']],
    ['a missing argument', ['ingest', 'referral']],
    ['an unknown option', ['outbox', 'list', '--colour']],
    ['a value outside the choices', ['outbox', 'list', '--state', 'lost']],
  ])('when given %s, it prints the usage error and exits 2', (_situation, args) => {
    const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
    expect(r.stderr).toMatch(/error:/);
    expect(r.status).toBe(2);
  });

  test('when asked for outbox retry help, it names every state a retry starts from, cancelled included', () => {
    const out = execFileSync(process.execPath, [cli, 'outbox', 'retry', '--help'], { encoding: 'utf8' });
    const description = out.split('\n').slice(1).join(' ').replace(/\s+/g, ' ');
    for (const state of RETRYABLE_STATES) expect(description).toContain(state);
  });
});
