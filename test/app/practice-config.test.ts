import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Organization, ServiceRequest } from '@medplum/fhirtypes';
import { readConfig } from '../../src/bootstrap/settings';
import { buildRuntime, type Runtime } from '../../src/bootstrap/compose';

// The practice's identity flows from the environment through the composition root into every
// ingest mapping: a `must-exist` destination can only find an Organization the practice names.
jest.setTimeout(60_000);

const RECORDS = path.join(__dirname, '../../fixtures/records');
const referral = JSON.parse(fs.readFileSync(path.join(RECORDS, 'referral-self.json'), 'utf8')) as unknown;

let dir: string;
let rt: Runtime | undefined;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-practice-'))));
afterEach(async () => {
  await rt?.close();
  rt = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

async function ingestReferral(
  env: Record<string, string>,
): Promise<{ sr: ServiceRequest; runtime: Runtime }> {
  const config = readConfig({ DATABASE_URL: `sqlite:${path.join(dir, 'kap.db')}`, ...env });
  rt = await buildRuntime(config, { clock: () => new Date('2026-11-09T10:00:00-08:00') });
  const result = await rt.ingest.referral(referral);
  expect(result.status).toBe('created');
  const sr = (await rt.store.getResource('ServiceRequest', 'referral-REF-2026-0057'))
    ?.resource as ServiceRequest;
  return { sr, runtime: rt };
}

test('when the practice is configured, ingest stores that Organization with its NPI and the referral names it as performer', async () => {
  const { sr, runtime } = await ingestReferral({
    KAP_BRIDGE_PRACTICE_ID: 'bright-path-kap',
    KAP_BRIDGE_PRACTICE_NAME: 'Bright Path Ketamine-Assisted Therapy',
    KAP_BRIDGE_PRACTICE_NPI: '1306142997',
  });
  expect(sr.performer?.[0]?.reference).toBe('Organization/bright-path-kap');
  const org = (await runtime.store.getResource('Organization', 'bright-path-kap'))?.resource as Organization;
  expect(org.name).toBe('Bright Path Ketamine-Assisted Therapy');
  expect(org.identifier).toContainEqual({ system: 'http://hl7.org/fhir/sid/us-npi', value: '1306142997' });
  expect(await runtime.store.getResource('Organization', 'kap-practice')).toBeNull();
});

test('when nothing is configured, the placeholder practice kap-practice is used, without an NPI', async () => {
  const { sr, runtime } = await ingestReferral({});
  expect(sr.performer?.[0]?.reference).toBe('Organization/kap-practice');
  const org = (await runtime.store.getResource('Organization', 'kap-practice'))?.resource as Organization;
  expect(org.identifier?.map((i) => i.system)).not.toContain('http://hl7.org/fhir/sid/us-npi');
});
