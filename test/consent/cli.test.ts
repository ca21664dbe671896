import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// Needs `npm run build` first (the CLI runs from dist/).
const cli = path.join(__dirname, '../../dist/entry/cli/main.js');
const scenario = JSON.parse(
  readFileSync(
    path.join(__dirname, '../../fixtures/consent-scenarios/own-mapping-some-sections-shared.json'),
    'utf8',
  ),
) as { consents: unknown[]; request: Record<string, unknown> };

const work = mkdtempSync(path.join(tmpdir(), 'kap-consent-cli-'));
function file(name: string, content: unknown): string {
  const p = path.join(work, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}
function decide(consents: string, request: string, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(
    process.execPath,
    [cli, 'consent', 'decide', '--consents', consents, '--request', request],
    {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    },
  );
  return { status: r.status, body: JSON.parse(r.stdout) as Record<string, unknown> };
}

const at: Record<string, unknown> = { ...scenario.request, at: '2026-11-20T12:00:00-08:00' };

describe('kap-bridge consent decide', () => {
  test('with an array of Consents, it prints the decision with its explanation word for word and exits 0', () => {
    const r = decide(file('consents.json', scenario.consents), file('request.json', at));
    expect(r.status).toBe(0);
    expect(r.body.decision).toBe('permit');
    expect(r.body.consent).toBe('Consent/con-2026-0042-1/_history/1');
    expect((r.body.denied as Array<{ code: string }>).map((c) => c.code)).toEqual(['observations']);
    expect(r.body.explanation).toEqual([
      'Consent/con-2026-0042-1 v1 governs: it is the newest consent that applies to this request. Its period (2026-11-05 to 2027-05-05) covers the time of disclosure (2026-11-20T12:00:00-08:00).',
      'The base rule of Consent/con-2026-0042-1 v1 is deny, set by the type of its root provision.',
      'session-focus, integration-suggestions: permitted by the exception provision.provision[0] (permit), which matches on recipient, action, purpose, section.',
      'observations: denied by the base rule, as no exception matches. The exception provision.provision[0] (permit) does not match: it covers other sections (session-focus, integration-suggestions).',
      "Dates without a time are read as whole days in the practice's time zone, America/Los_Angeles.",
    ]);
  });

  test('with a Bundle of Consents (and other entries), it decides the same', () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        { resource: { resourceType: 'Patient', id: 'kap-000123' } },
        ...scenario.consents.map((resource) => ({ resource })),
      ],
    };
    const r = decide(file('bundle.json', bundle), file('request.json', at));
    expect(r.status).toBe(0);
    expect(r.body.decision).toBe('permit');
  });

  test('a deny or no-consent decision still exits 0', () => {
    const r = decide(file('empty.json', []), file('request.json', at));
    expect(r.status).toBe(0);
    expect(r.body).toMatchObject({ decision: 'no-consent', consent: null, permitted: [] });
  });

  test('a request missing its actor prints an OperationOutcome naming it and exits 2', () => {
    const { actor: _actor, ...noActor } = at;
    const r = decide(file('consents.json', scenario.consents), file('bad-request.json', noActor));
    expect(r.status).toBe(2);
    expect(r.body.resourceType).toBe('OperationOutcome');
    expect(JSON.stringify(r.body)).toContain('"expression":["actor"]');
  });

  test('a request file that is not JSON exits 1 with an OperationOutcome (bad input, not usage)', () => {
    const r = decide(file('consents.json', scenario.consents), file('broken.json', '{ not json'));
    expect(r.status).toBe(1);
    expect(r.body.resourceType).toBe('OperationOutcome');
  });

  test('an unreadable consents file exits 2 with an OperationOutcome', () => {
    const r = decide(path.join(work, 'missing.json'), file('request.json', at));
    expect(r.status).toBe(2);
    expect(r.body.resourceType).toBe('OperationOutcome');
  });

  test('a consents file that is neither an array nor a Bundle exits 2', () => {
    const r = decide(file('odd.json', { resourceType: 'Patient' }), file('request.json', at));
    expect(r.status).toBe(2);
  });

  test('KAP_BRIDGE_TIMEZONE moves the day boundary of date-only periods', () => {
    const consents = JSON.parse(
      readFileSync(
        path.join(__dirname, '../../fixtures/consent-scenarios/end-date-covers-last-evening.json'),
        'utf8',
      ),
    ).consents;
    const late = file('late.json', { ...scenario.request, at: '2026-11-23T23:30:00-08:00' });
    const c = file('c.json', consents);
    expect(decide(c, late).body.decision).toBe('permit');
    expect(decide(c, late, { KAP_BRIDGE_TIMEZONE: 'Europe/Berlin' }).body.decision).toBe('no-consent');
    expect(decide(c, late, { KAP_BRIDGE_TIMEZONE: 'Mars/Olympus' }).status).toBe(2);
  });

  test('help lists the decide sub-command', () => {
    expect(execFileSync(process.execPath, [cli, 'consent', '--help'], { encoding: 'utf8' })).toContain(
      'decide',
    );
  });
});
