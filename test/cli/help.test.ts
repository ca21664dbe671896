import { execFileSync } from 'node:child_process';
import path from 'node:path';

const cli = path.join(__dirname, '../../dist/cli/main.js');

describe('kap-bridge CLI', () => {
  test('when asked for help, it names the program and exits 0', () => {
    const out = execFileSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
    expect(out).toContain('Usage: kap-bridge');
  });
});
