import fs from 'node:fs';
import path from 'node:path';
import type { Bundle, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { validateInSlices } from '../../src/app/validate-in-slices';
import { loadProjectProfiles } from '../../src/adapters/fhir-packages/load-package';
import { createValidator } from '../../src/fhir/validator';
import { referralBatch } from './inbound-batch';

/** Validating an inbound Bundle a slice at a time finds what one validator call finds. */

const DIR = path.join(__dirname, '../../fixtures/inbound');
const validator = createValidator({ packages: loadProjectProfiles() });
const load = (file: string) => JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')) as Bundle;
const key = (i: OperationOutcomeIssue) => `${i.severity} ${i.code} ${(i.expression ?? []).join(',')}`;
const keys = (issues: OperationOutcomeIssue[]) =>
  [...new Set(issues.filter((i) => i.severity !== 'information').map(key))].sort();

function brokenBatch(): Bundle {
  const b = referralBatch(15, 'transaction'); // 33 entries: several slices
  const entries = b.entry ?? [];
  const [early, late, patient] = [entries[1], entries[24], entries[27]];
  if (late && early) late.fullUrl = early.fullUrl; // bdl-7 across slices
  if (patient?.resource?.resourceType === 'Patient') patient.resource.birthDate = '1991-02-30';
  delete entries[30]?.request; // bdl-3 on an entry of the last slice
  return b;
}

test.each([
  ...fs.readdirSync(DIR).filter((f) => !f.endsWith('cases.json') && f !== 'refused.json'),
  'a 33-entry transaction with a fullUrl repeated across slices, a bad date and a missing request',
])('%s: the same issues as validating it in one call', async (name) => {
  const bundle = name.endsWith('.json') ? load(name) : brokenBatch();
  const whole = validator.validate(bundle).issue ?? [];
  const sliced = await validateInSlices(validator, bundle);
  expect(keys(sliced)).toEqual(keys(whole));
  if (!name.endsWith('.json')) expect(keys(whole).length).toBeGreaterThanOrEqual(3);
});
