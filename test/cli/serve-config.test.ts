import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ConfigError } from '../../src/bootstrap/settings';
import { buildService } from '../../src/bootstrap/service';

/**
 * Configuration is validated before anything opens (DESIGN.md §8 "fail fast with a clear
 * message"): each case in fixtures/service/config-cases.json names the variable at fault.
 */

interface ConfigCase {
  situation: string;
  env: Record<string, string>;
  message: string;
  alsoMessage?: string;
}

const ROOT = path.join(__dirname, '../..');
const CASES = JSON.parse(
  fs.readFileSync(path.join(ROOT, 'fixtures/service/config-cases.json'), 'utf8'),
) as ConfigCase[];

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-serve-config-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test.each(CASES.map((c) => [c.situation, c] as const))(
  'when %s, serve refuses to start and says which variable is wrong',
  async (_situation, c) => {
    const env = {
      DATABASE_URL: `sqlite:${path.join(dir, 'never.db')}`,
      KAP_BRIDGE_DATA_DIR: path.join(dir, 'data'),
      ...c.env,
    };
    const err = await buildService(env).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain(c.message);
    if (c.alsoMessage) expect((err as ConfigError).message).toContain(c.alsoMessage);
    // Nothing was opened or created on the way to the refusal.
    expect(fs.existsSync(path.join(dir, 'never.db'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'data'))).toBe(false);
  },
);

test('the serve command exits 2 and prints every problem on stderr when the configuration is bad', async () => {
  const run = promisify(execFile);
  const err = (await run(process.execPath, [path.join(ROOT, 'dist/entry/cli/main.js'), 'serve'], {
    cwd: dir,
    env: { PATH: process.env.PATH, PORT: 'eighty', KAP_BRIDGE_SYNC_CRON: 'x' },
  }).then(
    () => undefined,
    (e: unknown) => e,
  )) as { code: number; stderr: string } | undefined;
  expect(err?.code).toBe(2);
  expect(err?.stderr).toContain('PORT: "eighty" is not a TCP port');
  expect(err?.stderr).toContain('KAP_BRIDGE_SYNC_CRON: "x" is not a cron expression');
}, 60_000);
