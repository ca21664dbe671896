import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * `kap-bridge serve` as a newcomer runs it (`npm start` = `node dist/entry/cli/main.js serve`): a real
 * process on the embedded defaults — SQLite under ./data, a generated local API key, the built-in
 * sandbox — driven with fetch the way README's quick start does with curl, then stopped with
 * SIGTERM. Needs `npm run build` (jest's `pretest` does it).
 */

const ROOT = path.join(__dirname, '../..');
const RECORDS = path.join(ROOT, 'fixtures/records');

let dir: string;
let child: ChildProcess;
let stderr = '';
let stdout = '';
/** What the first start printed, for the restart test. */
let firstKey: string | undefined;
let firstToken: string | undefined;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-serve-'));
});
afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Resolves with the first match of `re` on stderr (the CLI's lines for a person). */
function waitFor(re: RegExp, ms = 60_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}; stderr:\n${stderr}`)), ms);
    const check = (): void => {
      const m = stderr.match(re);
      if (m) {
        clearTimeout(timer);
        child.stderr?.off('data', check);
        resolve(m);
      }
    };
    child.stderr?.on('data', check);
    check();
  });
}

test('serve on the embedded defaults: generated key, built-in sandbox and its token announced; referral, consent and update over HTTP reach the sandbox without a sync; SIGTERM stops it cleanly', async () => {
  const started = Date.now();
  child = spawn(process.execPath, [path.join(ROOT, 'dist/entry/cli/main.js'), 'serve'], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0' },
  });
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));

  const [, api] = await waitFor(/kap-bridge listening on (http:\/\/127\.0\.0\.1:\d+)/);
  const startupMs = Date.now() - started;
  const [, key] = stderr.match(/API key for local use \(every scope\): (\S+)/) ?? [];
  firstKey = key;
  firstToken = stderr.match(/^sandbox token: (\S+)$/m)?.[1];
  const [, sandbox] =
    stderr.match(
      /delivering to the built-in sandbox at (http:\/\/127\.0\.0\.1:\d+\/fhir) \(nothing leaves this machine\)/,
    ) ?? [];
  const [, token] = stderr.match(/^sandbox token: (\S+)$/m) ?? [];
  expect(key).toBeDefined();
  expect(sandbox).toBeDefined();
  expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  // The built-in sandbox holds what was delivered: without its token, nothing is read.
  expect((await fetch(`${sandbox}/Communication`)).status).toBe(401);
  // The key file and data folder are readable by their owner only; the key never reaches the log.
  expect(fs.statSync(path.join(dir, 'data/api-keys.json')).mode & 0o777).toBe(0o600);
  expect(fs.statSync(path.join(dir, 'data')).mode & 0o777).toBe(0o700);
  expect(fs.existsSync(path.join(dir, 'data/kap-bridge.db'))).toBe(true);

  const post = (route: string, file: string) =>
    fetch(`${api}${route}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: fs.readFileSync(path.join(RECORDS, file)),
    });
  expect((await post('/referrals', 'referral-self.json')).status).toBe(201);
  expect((await post('/consents', 'consent-partial.json')).status).toBe(201);
  expect((await post('/integration-updates', 'update-one-observation.json')).status).toBe(201);

  const search = `${sandbox}/Communication?identifier=${encodeURIComponent('https://kap-bridge.example/fhir/sid/integration-update|UPD-2026-0057-01')}`;
  let found = 0;
  for (let i = 0; i < 100 && found === 0; i++) {
    const res = await fetch(search, { headers: { authorization: `Bearer ${token}` } });
    found = (((await res.json()) as { entry?: unknown[] }).entry ?? []).length;
    if (found === 0) await new Promise((r) => setTimeout(r, 100));
  }
  expect(found).toBe(1);

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const stopAt = Date.now();
  child.kill('SIGTERM');
  const { code, signal } = await exited;
  expect({ code, signal }).toEqual({ code: 0, signal: null });
  expect(Date.now() - stopAt).toBeLessThan(10_000);
  expect(stdout).toContain('"msg":"stopped"');
  expect(stdout).not.toContain(key);
  expect(stdout).not.toContain(token);
  // Start-up figure for the report (not an assertion: speed targets live in scripts/bench*).
  console.info(`serve start-up (spawn → listening): ${startupMs} ms`);
}, 120_000);

test('serve started again in the same folder: the key is not printed again, the file is named instead, and the key printed at creation still opens the API; the sandbox gets a new token', async () => {
  expect(firstKey).toBeDefined();
  stderr = '';
  stdout = '';
  child = spawn(process.execPath, [path.join(ROOT, 'dist/entry/cli/main.js'), 'serve'], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0' },
  });
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
  const [, api] = await waitFor(/kap-bridge listening on (http:\/\/127\.0\.0\.1:\d+)/);
  expect(stderr).not.toContain(firstKey!);
  expect(stderr).toContain(`API keys for local use are in ${fs.realpathSync(dir)}/data/api-keys.json`);
  const [, token] = stderr.match(/^sandbox token: (\S+)$/m) ?? [];
  expect(token).toBeDefined();
  expect(token).not.toBe(firstToken);
  const file = fs.readFileSync(path.join(dir, 'data/api-keys.json'), 'utf8');
  expect(file).not.toContain(firstKey!);
  expect(file).toContain('"sha256"');
  const outbox = await fetch(`${api}/outbox`, { headers: { Authorization: `Bearer ${firstKey!}` } });
  expect(outbox.status).toBe(200);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
}, 120_000);
