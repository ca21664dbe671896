import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { CONSENT_ID, UPDATE_ID } from './relay-harness';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '../..');
const REGISTER = path.join(ROOT, 'test/support/swc-register.js');
const CLI = path.join(ROOT, 'src/entry/cli/main.ts');
const RECORDS = path.join(ROOT, 'fixtures/records');

let sandbox: Sandbox;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  sandbox = await startSandbox();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-sync-cli-'));
  const destinations = path.join(dir, 'destinations.json');
  fs.writeFileSync(
    destinations,
    JSON.stringify([
      {
        id: 'lakeside-ehr',
        baseUrl: sandbox.url,
        auth: { type: 'bearer', tokenEnv: 'LAKESIDE_TOKEN' },
        allowInsecure: true,
        allowPrivateNetwork: true,
      },
    ]),
  );
  const consent = JSON.parse(
    fs.readFileSync(path.join(RECORDS, 'consent-client-full.json'), 'utf8'),
  ) as object;
  fs.writeFileSync(
    path.join(dir, 'consent.json'),
    JSON.stringify({ ...consent, share: ['session-focus', 'integration-suggestions'] }),
  );
  env = {
    PATH: process.env.PATH,
    DATABASE_URL: `sqlite:${path.join(dir, 'kap.db')}`,
    KAP_BRIDGE_DESTINATIONS: destinations,
    KAP_BRIDGE_DEFAULT_DESTINATION: 'lakeside-ehr',
    LAKESIDE_TOKEN: sandbox.token,
  };
});
afterAll(async () => {
  await sandbox.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ stdout: string; code: number }> {
  try {
    const { stdout } = await run(process.execPath, ['-r', REGISTER, CLI, ...args], { env, cwd: dir });
    return { stdout, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout + e.stderr, code: e.code };
  }
}

async function count(type: string, id: { system: string; value: string }): Promise<number> {
  const res = await fetch(
    `${sandbox.url}/${type}?identifier=${encodeURIComponent(`${id.system}|${id.value}`)}`,
    { headers: { authorization: `Bearer ${sandbox.token}` } },
  );
  return ((await res.json()) as { entry?: unknown[] }).entry?.length ?? 0;
}

test('from the CLI: ingest referral, partial consent and update, sync --once → one Communication; sync again → still one; disclosures lists what went out', async () => {
  expect((await cli('ingest', 'referral', path.join(RECORDS, 'referral-clinician-full.json'))).code).toBe(0);
  expect((await cli('ingest', 'consent', path.join(dir, 'consent.json'))).code).toBe(0);
  expect((await cli('ingest', 'update', path.join(RECORDS, 'update-all-observations.json'))).code).toBe(0);

  const first = await cli('sync', '--once', '--format', 'json');
  expect(first.code).toBe(0);
  expect(JSON.parse(first.stdout)).toMatchObject({ leased: 2, delivered: 2, dead: 0 });
  expect(await count('Communication', UPDATE_ID)).toBe(1);
  expect(await count('Consent', CONSENT_ID)).toBe(1);

  const second = await cli('sync', '--once', '--format', 'json');
  expect(JSON.parse(second.stdout)).toMatchObject({ leased: 0 });
  expect(await count('Communication', UPDATE_ID)).toBe(1);

  const log = await cli('disclosures', '--patient', 'KAP-000123', '--format', 'json');
  expect(log.code).toBe(0);
  const parsed = JSON.parse(log.stdout) as {
    found: boolean;
    entries: Array<{ what: string[]; sections: string[] }>;
  };
  const types = parsed.entries.map((e) => e.what[0]?.split('/')[0]);
  expect([...types].sort()).toEqual(['Communication', 'Consent']);
  const comm = parsed.entries[types.indexOf('Communication')];
  expect(comm?.sections).toEqual(['session-focus', 'integration-suggestions']);
  const text = await cli('disclosures', '--patient', 'KAP-000123');
  expect(text.stdout).toContain('to NPI 1234567893 (lakeside-ehr)');
  expect((await cli('disclosures', '--patient', 'KAP-999999')).code).toBe(1);
}, 120_000);
