import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Spawns the built CLI (`npm run build` first, as `npm test` does through `pretest`). Each call
// loads the R4 definitions for the validator: generous timeout on a busy machine.
jest.setTimeout(120_000);
const cli = path.join(__dirname, '../../dist/entry/cli/main.js');
const records = path.join(__dirname, '../../fixtures/records');

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-cli-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function runEnv(
  extra: Record<string, string>,
  ...args: string[]
): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: 'sqlite:./data/kap-bridge.db',
    KAP_BRIDGE_TIMEZONE: 'America/Los_Angeles',
    ...extra,
  };
  if (!('KAP_BRIDGE_DESTINATIONS' in extra)) delete env.KAP_BRIDGE_DESTINATIONS;
  if (!('KAP_BRIDGE_DEFAULT_DESTINATION' in extra)) delete env.KAP_BRIDGE_DEFAULT_DESTINATION;
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, env, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return runEnv({}, ...args);
}

describe('kap-bridge ingest and outbox list', () => {
  test('a referral, a partial consent and an update create the expected outbox rows in ./data', () => {
    expect(run('ingest', 'referral', path.join(records, 'referral-self.json')).status).toBe(0);
    const consent = run('ingest', 'consent', path.join(records, 'consent-partial.json'), '--format', 'json');
    expect(consent.status).toBe(0);
    const c = JSON.parse(consent.stdout) as {
      status: string;
      outbox: Array<{ resourceType: string; state: string }>;
    };
    expect(c.status).toBe('created');
    expect(c.outbox.map((r) => [r.resourceType, r.state])).toEqual([['Consent', 'queued']]);
    const update = run('ingest', 'update', path.join(records, 'update-one-observation.json'));
    expect(update.status).toBe(0);
    expect(update.stdout).toMatch(/queued\s+Communication\/update-UPD-2026-0057-01 v1 → sandbox deadline/);

    const list = run('outbox', 'list', '--format', 'json');
    const rows = JSON.parse(list.stdout) as Array<{ resourceType: string; state: string }>;
    expect(rows.map((r) => `${r.resourceType}:${r.state}`).sort()).toEqual([
      'Communication:queued',
      'Consent:queued',
      'ServiceRequest:withheld',
    ]);
    expect(JSON.parse(run('outbox', 'list', '--state', 'withheld', '--format', 'json').stdout)).toHaveLength(
      1,
    );
    expect(fs.statSync(path.join(dir, 'data')).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dir, 'data', 'kap-bridge.db')).mode & 0o777).toBe(0o600);
  });

  test('ingest referral-status: a declined referral queues the ServiceRequest and its Task (withheld: referral status is not shared); without a reason it is refused naming the field, exit 1', () => {
    expect(run('ingest', 'referral', path.join(records, 'referral-self.json')).status).toBe(0);
    expect(run('ingest', 'consent', path.join(records, 'consent-partial.json')).status).toBe(0);
    const declined = path.join(records, 'referral-status-declined-self.json');
    const stored = run('ingest', 'referral-status', declined, '--format', 'json');
    expect(stored.status).toBe(0);
    const r = JSON.parse(stored.stdout) as {
      status: string;
      recordId: string;
      outbox: Array<{ resourceType: string; state: string }>;
    };
    expect(r.status).toBe('created');
    expect(r.recordId).toBe('REF-2026-0057@2026-11-20T11:00:00-08:00');
    expect(r.outbox.map((o) => [o.resourceType, o.state])).toEqual([
      ['ServiceRequest', 'withheld'],
      ['Task', 'withheld'],
    ]);
    const noReason = path.join(dir, 'no-reason.json');
    const { reason: _r, ...rest } = JSON.parse(fs.readFileSync(declined, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(noReason, JSON.stringify({ ...rest, at: '2026-11-21T09:00:00-08:00' }));
    const refused = run('ingest', 'referral-status', noReason);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toMatch(/reason/);
  });

  test('a revocation prints the Consent version it made and where it goes, not the revocation record version', () => {
    expect(run('ingest', 'referral', path.join(records, 'referral-self.json')).status).toBe(0);
    expect(run('ingest', 'consent', path.join(records, 'consent-partial.json')).status).toBe(0);
    // The real clock: a revocation records something that already happened.
    const revokedAt = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const revocation = {
      consentId: 'CON-2026-0057-1',
      revokedAt,
      reason: 'Client asked to stop',
      receivedBy: 'front desk',
      method: 'verbal',
    };
    fs.writeFileSync(path.join(dir, 'revocation.json'), JSON.stringify(revocation));
    const r = run('ingest', 'revocation', 'revocation.json');
    expect(r.status).toBe(0);
    const [first] = r.stdout.split('\n');
    expect(first).toMatch(
      /^consent CON-2026-0057-1 revoked: Consent version 2 \(inactive\) queued for sandbox/,
    );
    expect(r.stdout).not.toContain('(version 1)');
    expect(r.stdout).toMatch(/queued\s+Consent\/consent-CON-2026-0057-1 v2 → sandbox/);
  });

  test('a revoked consent re-posted with changed content exits 1 with the conflict; the same content exits 0 unchanged', () => {
    expect(run('ingest', 'referral', path.join(records, 'referral-self.json')).status).toBe(0);
    expect(run('ingest', 'consent', path.join(records, 'consent-partial.json')).status).toBe(0);
    const revokedAt = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const revocation = {
      consentId: 'CON-2026-0057-1',
      revokedAt,
      reason: 'stop',
      receivedBy: 'front desk',
      method: 'verbal',
    };
    fs.writeFileSync(path.join(dir, 'revocation.json'), JSON.stringify(revocation));
    expect(run('ingest', 'revocation', 'revocation.json').status).toBe(0);

    const same = run('ingest', 'consent', path.join(records, 'consent-partial.json'));
    expect(same.status).toBe(0);
    expect(same.stdout).toContain('unchanged');
    const partial = JSON.parse(fs.readFileSync(path.join(records, 'consent-partial.json'), 'utf8')) as object;
    fs.writeFileSync(path.join(dir, 'changed.json'), JSON.stringify({ ...partial, share: ['observations'] }));
    const changed = run('ingest', 'consent', 'changed.json');
    expect(changed.status).toBe(1);
    expect(changed.stdout).toContain('rejected');
    expect(changed.stdout).toMatch(
      /error: consent CON-2026-0057-1 was ended by its revocation .* a revocation is final/,
    );
    const consents = run('outbox', 'list', '--format', 'json');
    const rows = JSON.parse(consents.stdout) as Array<{ resourceType: string; resourceVersion: number }>;
    expect(
      rows
        .filter((r) => r.resourceType === 'Consent')
        .map((r) => r.resourceVersion)
        .sort(),
    ).toEqual([1, 2]);
  });

  test('a refused record prints its OperationOutcome and exits 1', () => {
    const r = run('ingest', 'update', path.join(records, 'update-all-observations.json'));
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('rejected');
    expect(r.stdout).toContain('(at referralId)');
  });

  test('a file that is not JSON exits 1 with a fatal issue (bad input, not usage)', () => {
    fs.writeFileSync(path.join(dir, 'bad.json'), '{ nope');
    const r = run('ingest', 'referral', 'bad.json');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('fatal: bad.json is not valid JSON');
  });

  test('with a destinations file, a referral whose items go to an unregistered destination is stored with a warning', () => {
    const destinations = path.join(dir, 'destinations.json');
    const entry = { id: 'local', baseUrl: 'https://fhir.local.example/r4', auth: { type: 'none' } };
    fs.writeFileSync(destinations, JSON.stringify([entry]));
    const withFile = { KAP_BRIDGE_DESTINATIONS: destinations };
    const named = runEnv(withFile, 'ingest', 'referral', path.join(records, 'referral-clinician-full.json'));
    expect(named.status).toBe(0);
    expect(named.stdout).toContain('warning: destination "lakeside-ehr" is not registered');
    const byDefault = runEnv(withFile, 'ingest', 'referral', path.join(records, 'referral-self.json'));
    expect(byDefault.stdout).toContain('warning: the default destination "sandbox" is not registered');
    const registered = runEnv(
      { ...withFile, KAP_BRIDGE_DEFAULT_DESTINATION: 'local' },
      'ingest',
      'referral',
      path.join(records, 'referral-psychiatrist-urgent.json'),
    );
    expect(registered.status).toBe(0);
    expect(registered.stdout).not.toContain('warning');
  });

  test('a destinations file that cannot be read stops ingest with a message naming the variable (exit 2)', () => {
    const r = runEnv(
      { KAP_BRIDGE_DESTINATIONS: path.join(dir, 'missing.json') },
      'ingest',
      'referral',
      path.join(records, 'referral-self.json'),
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('KAP_BRIDGE_DESTINATIONS');
  });

  test('a bad time zone stops the command with a message naming the variable', () => {
    const r = spawnSync(process.execPath, [cli, 'outbox', 'list'], {
      cwd: dir,
      env: { ...process.env, KAP_BRIDGE_TIMEZONE: 'Mars/Olympus' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('KAP_BRIDGE_TIMEZONE');
  });
});
