import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Bundle, OperationOutcome, ServiceRequest } from '@medplum/fhirtypes';

const cli = path.join(__dirname, '../../dist/entry/cli/main.js');
const records = path.join(__dirname, '../../fixtures/records');
const rec = (f: string) => path.join(records, f);

function runWith(
  env: NodeJS.ProcessEnv,
  ...args: string[]
): { code: number | null; json: unknown; stderr: string } {
  const r = spawnSync(process.execPath, [cli, 'map', ...args], { encoding: 'utf8', env });
  return { code: r.status, json: r.stdout ? (JSON.parse(r.stdout) as unknown) : undefined, stderr: r.stderr };
}

function run(...args: string[]): { code: number | null; json: unknown; stderr: string } {
  return runWith(process.env, ...args);
}

/** The record of a fixture case in `fixtures/invalid-records/`, written alone to a temp file. */
function invalidRecordFile(name: string): string {
  const fixture = JSON.parse(
    readFileSync(path.join(__dirname, '../../fixtures/invalid-records', name), 'utf8'),
  ) as { record: unknown };
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'kap-map-')), name);
  writeFileSync(file, JSON.stringify(fixture.record));
  return file;
}

describe('kap-bridge map', () => {
  test('when given a valid referral, it prints a collection Bundle led by the ServiceRequest and exits 0', () => {
    const r = run('referral', rec('referral-clinician-full.json'));
    expect(r.code).toBe(0);
    const bundle = r.json as Bundle;
    expect(bundle.type).toBe('collection');
    expect(bundle.entry?.map((e) => e.resource?.resourceType)).toEqual([
      'ServiceRequest',
      'Patient',
      'Practitioner',
      'PractitionerRole',
      'Organization',
      'Organization',
    ]);
  });

  test('when given a consent and its referral, it prints a Bundle led by the Consent', () => {
    const r = run(
      'consent',
      rec('consent-representative.json'),
      '--referral',
      rec('referral-psychiatrist-urgent.json'),
    );
    expect(r.code).toBe(0);
    expect((r.json as Bundle).entry?.map((e) => e.resource?.resourceType)).toEqual([
      'Consent',
      'Patient',
      'Practitioner',
      'Organization',
      'RelatedPerson',
    ]);
  });

  test('when an update is mapped, basedOn is the literal reference to the referral ServiceRequest (the logical form is a sending-time decision)', () => {
    const r = run('update', rec('update-one-observation.json'), '--referral', rec('referral-self.json'));
    expect(r.code).toBe(0);
    const entries = (r.json as Bundle).entry ?? [];
    const comm = entries[0]?.resource as { basedOn?: Array<{ reference?: string }> };
    expect(comm.basedOn).toEqual([{ reference: 'ServiceRequest/referral-REF-2026-0057' }]);
  });

  test('the retired --based-on option is refused as unknown (usage error)', () => {
    const r = run(
      'update',
      rec('update-one-observation.json'),
      '--referral',
      rec('referral-self.json'),
      '--based-on',
      'identifier',
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--based-on');
  });

  test('when a consent is given without --referral, it says so in an OperationOutcome and exits 2', () => {
    const r = run('consent', rec('consent-client-full.json'));
    expect(r.code).toBe(2);
    const oo = r.json as OperationOutcome;
    expect(oo.issue?.[0]?.code).toBe('required');
    expect(oo.issue?.[0]?.details?.text).toContain('--referral');
  });

  test('when the update belongs to another referral, it prints the refusal and exits 1', () => {
    const r = run('update', rec('update-all-observations.json'), '--referral', rec('referral-self.json'));
    expect(r.code).toBe(1);
    expect((r.json as OperationOutcome).issue?.[0]?.expression).toEqual(['referralId']);
  });

  test('when the record breaks a rule, it prints the OperationOutcome on stdout and exits 1', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kap-map-'));
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ id: 'REF-1', source: 'self' }));
    const r = run('referral', file);
    expect(r.code).toBe(1);
    const oo = r.json as OperationOutcome;
    expect(oo.resourceType).toBe('OperationOutcome');
    expect(oo.issue?.map((i) => i.expression?.[0])).toEqual(
      expect.arrayContaining(['receivedAt', 'client', 'referringClinician', 'reason']),
    );
  });

  test('when the file is not JSON, it prints a fatal OperationOutcome and exits 1 (bad input, not usage)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kap-map-'));
    const file = path.join(dir, 'broken.json');
    writeFileSync(file, '{ "id": ');
    const r = run('referral', file);
    expect(r.code).toBe(1);
    expect((r.json as OperationOutcome).issue?.[0]?.severity).toBe('fatal');
  });

  test('when KAP_BRIDGE_MAX_SECTION_LENGTH is lower than a section, map refuses the update as ingest does (exit 1)', () => {
    const file = invalidRecordFile('update-custom-bound.json');
    const referral = rec('referral-clinician-full.json');
    expect(run('update', file, '--referral', referral).code).toBe(0);
    const env = { ...process.env, KAP_BRIDGE_MAX_SECTION_LENGTH: '100' };
    const r = runWith(env, 'update', file, '--referral', referral);
    expect(r.code).toBe(1);
    expect((r.json as OperationOutcome).issue?.[0]?.expression).toEqual(['observations.sensory']);
  });

  test('when KAP_BRIDGE_MAX_SECTION_LENGTH is not a positive number, map names the variable and exits 2', () => {
    const env = { ...process.env, KAP_BRIDGE_MAX_SECTION_LENGTH: 'abc' };
    const r = runWith(env, 'referral', rec('referral-clinician-full.json'));
    expect(r.code).toBe(2);
    expect((r.json as OperationOutcome).issue?.[0]?.expression).toEqual(['KAP_BRIDGE_MAX_SECTION_LENGTH']);
  });

  test('when KAP_BRIDGE_PRACTICE_ID, _NAME and _NPI are set, the referral is performed by that Organization, carrying its NPI', () => {
    const env = {
      ...process.env,
      KAP_BRIDGE_PRACTICE_ID: 'bright-path-kap',
      KAP_BRIDGE_PRACTICE_NAME: 'Bright Path Ketamine-Assisted Therapy',
      KAP_BRIDGE_PRACTICE_NPI: '1306142997',
    };
    const r = runWith(env, 'referral', rec('referral-clinician-full.json'));
    expect(r.code).toBe(0);
    const resources = (r.json as Bundle).entry?.map((e) => e.resource) ?? [];
    const sr = resources[0] as ServiceRequest;
    expect(sr.performer).toEqual([
      { reference: 'Organization/bright-path-kap', display: 'Bright Path Ketamine-Assisted Therapy' },
    ]);
    expect(resources.find((x) => x?.id === 'bright-path-kap')).toMatchObject({
      resourceType: 'Organization',
      name: 'Bright Path Ketamine-Assisted Therapy',
      identifier: [
        { system: 'https://kap-bridge.example/fhir/sid/organization', value: 'bright-path-kap' },
        { system: 'http://hl7.org/fhir/sid/us-npi', value: '1306142997' },
      ],
    });
  });

  test('when KAP_BRIDGE_PRACTICE_NPI fails its check digit, map names the variable and exits 2', () => {
    const r = runWith(
      { ...process.env, KAP_BRIDGE_PRACTICE_NPI: '1306142998' },
      'referral',
      rec('referral-self.json'),
    );
    expect(r.code).toBe(2);
    const oo = r.json as OperationOutcome;
    expect(oo.issue[0]?.expression).toEqual(['KAP_BRIDGE_PRACTICE_NPI']);
    expect(oo.issue[0]?.details?.text).toContain('KAP_BRIDGE_PRACTICE_NPI');
  });

  test('when the file does not exist, it prints an OperationOutcome and exits 2', () => {
    const r = run('referral', path.join(tmpdir(), 'no-such-kap-file.json'));
    expect(r.code).toBe(2);
    expect((r.json as OperationOutcome).issue?.[0]?.code).toBe('not-found');
  });
  describe('referral-status', () => {
    const referral = rec('referral-clinician-full.json');
    /** A status change of REF-2026-0042 written to a temp file. */
    const changeFile = (change: { status: string; at: string; reason?: string }): string => {
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'kap-map-')), 'status.json');
      writeFileSync(file, JSON.stringify({ referralId: 'REF-2026-0042', ...change }));
      return file;
    };

    test('a status change and its referral print a Bundle led by the Task, with the ServiceRequest in its new status', () => {
      const r = run('referral-status', rec('referral-status-accepted.json'), '--referral', referral);
      expect(r.code).toBe(0);
      const entries = (r.json as Bundle).entry ?? [];
      expect(entries.map((e) => e.resource?.resourceType).slice(0, 3)).toEqual([
        'Task',
        'ServiceRequest',
        'Patient',
      ]);
      const task = entries[0]?.resource as { status?: string; focus?: { reference?: string } };
      expect(task.status).toBe('accepted');
      expect(task.focus?.reference).toBe(`ServiceRequest/${(entries[1]?.resource as ServiceRequest).id}`);
      expect((entries[1]?.resource as ServiceRequest).status).toBe('active');
    });

    test('a decline carries its reason as the Task statusReason', () => {
      const r = run('referral-status', rec('referral-status-declined.json'), '--referral', referral);
      expect(r.code).toBe(0);
      const task = (r.json as Bundle).entry?.[0]?.resource as {
        status?: string;
        statusReason?: { text?: string };
      };
      expect(task.status).toBe('rejected');
      expect(task.statusReason?.text).toContain('no openings');
    });

    test('a decline without a reason is refused with the rule named (exit 1)', () => {
      const file = changeFile({ status: 'declined', at: '2026-11-04T09:30:00-08:00' });
      const r = run('referral-status', file, '--referral', referral);
      expect(r.code).toBe(1);
      expect((r.json as OperationOutcome).issue).toEqual([
        expect.objectContaining({ code: 'required', expression: ['reason'] }),
      ]);
    });

    test('a change dated before the referral was received is refused (exit 1), as ingest refuses it', () => {
      const file = changeFile({ status: 'accepted', at: '2026-11-01T09:30:00-08:00' });
      const r = run('referral-status', file, '--referral', referral);
      expect(r.code).toBe(1);
      expect((r.json as OperationOutcome).issue?.[0]?.expression).toEqual(['at']);
    });

    test('without --referral it is a usage error naming referralId (exit 2)', () => {
      const r = run('referral-status', rec('referral-status-accepted.json'));
      expect(r.code).toBe(2);
      expect((r.json as OperationOutcome).issue?.[0]?.expression).toEqual(['referralId']);
    });
  });
});
