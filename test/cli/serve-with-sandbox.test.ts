import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The deployment shape, as separate real processes: `kap-bridge sandbox` stands in for the
 * referring clinician's EHR, and `kap-bridge serve` is configured as an operator would — a keys
 * file, a destinations file naming that EHR, a default destination. Referral, consent and update
 * over HTTP reach the other process without a manual sync; a revocation turns its copy of the
 * Consent inactive. Needs `npm run build` (jest's `pretest` does it).
 */

const ROOT = path.join(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/entry/cli/main.js');
const RECORDS = path.join(ROOT, 'fixtures/records');
const KEY = 'component-test-key-0123456789abcdef';
const EHR_TOKEN = 'ehr-sandbox-token-0123456789abcdef';

let dir: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-serve-ehr-'));
});
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Starts `kap-bridge ARGS` and resolves with the first match of `re` on its output. */
function start(args: string[], env: NodeJS.ProcessEnv, re: RegExp): Promise<RegExpMatchArray> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH, ...env },
  });
  children.push(child);
  let seen = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}:\n${seen}`)), 60_000);
    const onData = (b: Buffer): void => {
      seen += b.toString();
      const m = seen.match(re);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  });
}

async function poll<T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  let value = await read();
  for (let i = 0; i < 100 && !done(value); i++) {
    await new Promise((r) => setTimeout(r, 100));
    value = await read();
  }
  return value;
}

test('serve delivers to a separate sandbox process named in a destinations file; a revocation turns the Consent there inactive', async () => {
  const [, ehr] = await start(
    ['sandbox', '--port', '0', '--token', EHR_TOKEN],
    {},
    /listening at (http:\/\/127\.0\.0\.1:\d+\/fhir)/,
  );
  // The EHR refuses anyone without its token, so what arrives below came with it.
  expect((await fetch(`${ehr}/Communication`)).status).toBe(401);
  const destinations = path.join(dir, 'destinations.json');
  fs.writeFileSync(
    destinations,
    JSON.stringify([
      {
        id: 'ehr',
        baseUrl: ehr,
        auth: { type: 'bearer', tokenEnv: 'EHR_TOKEN' },
        transport: 'auto',
        allowInsecure: true,
        allowPrivateNetwork: true,
      },
    ]),
  );
  const keys = path.join(dir, 'keys.json');
  fs.writeFileSync(keys, JSON.stringify([{ name: 'practice-ehr', key: KEY, scopes: ['ingest', 'audit'] }]), {
    mode: 0o600,
  });
  const [, api] = await start(
    ['serve'],
    {
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: `sqlite:${path.join(dir, 'kap.db')}`,
      KAP_BRIDGE_API_KEYS: keys,
      KAP_BRIDGE_DESTINATIONS: destinations,
      KAP_BRIDGE_DEFAULT_DESTINATION: 'ehr',
      EHR_TOKEN,
    },
    /kap-bridge listening on (http:\/\/127\.0\.0\.1:\d+)/,
  );
  const headers = { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' };
  const post = (route: string, body: unknown) =>
    fetch(`${api}${route}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const record = (file: string): unknown => JSON.parse(fs.readFileSync(path.join(RECORDS, file), 'utf8'));
  expect((await post('/referrals', record('referral-self.json'))).status).toBe(201);
  expect((await post('/consents', record('consent-partial.json'))).status).toBe(201);
  expect((await post('/integration-updates', record('update-one-observation.json'))).status).toBe(201);

  const search = async (type: string, system: string, value: string) =>
    (
      (await (
        await fetch(`${ehr}/${type}?identifier=${encodeURIComponent(`${system}|${value}`)}`, {
          headers: { authorization: `Bearer ${EHR_TOKEN}` },
        })
      ).json()) as { entry?: Array<{ resource: { status?: string; payload?: unknown[] } }> }
    ).entry ?? [];
  const updates = await poll(
    () =>
      search('Communication', 'https://kap-bridge.example/fhir/sid/integration-update', 'UPD-2026-0057-01'),
    (e) => e.length > 0,
  );
  expect(updates).toHaveLength(1);
  // consent-partial shares session focus and integration suggestions, not observations.
  expect(updates[0]?.resource.payload).toHaveLength(2);

  const revokedAt = new Date(Date.now() - 60_000).toISOString();
  const revoked = await post('/consents/CON-2026-0057-1/revoke', {
    revokedAt,
    reason: 'Client asked to stop sharing',
    receivedBy: 'front desk',
    method: 'verbal',
  });
  expect(revoked.status).toBe(201); // the revocation is a new record
  const consents = await poll(
    () => search('Consent', 'https://kap-bridge.example/fhir/sid/consent', 'CON-2026-0057-1'),
    (e) => e[0]?.resource.status === 'inactive',
  );
  expect(consents.map((e) => e.resource.status)).toEqual(['inactive']);
}, 120_000);
