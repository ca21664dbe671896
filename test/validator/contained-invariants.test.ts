import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { createValidator } from '../../src/fhir/validator';

/**
 * dom-2, dom-4 and dom-5 are decided without FHIRPath when a resource has no `contained`
 * (constraints.ts): they still refuse a contained resource that breaks them, and a resource
 * without `contained` (or with a clean one) still passes.
 */
const validator = createValidator();
const errors = (r: Record<string, unknown>): string[] =>
  (validator.validate(r).issue ?? [])
    .filter((i: OperationOutcomeIssue) => i.severity === 'error' || i.severity === 'fatal')
    .map((i) => i.details?.text ?? '');

const holding = (contained: Record<string, unknown>) => ({
  resourceType: 'Patient',
  contained: [{ resourceType: 'Practitioner', id: 'c1', ...contained }],
  generalPractitioner: [{ reference: '#c1' }],
});

test.each([
  ['dom-2', { contained: [{ resourceType: 'Practitioner', id: 'x' }] }],
  ['dom-4', { meta: { versionId: '2' } }],
  ['dom-4', { meta: { lastUpdated: '2026-11-02T16:20:00Z' } }],
  ['dom-5', { meta: { security: [{ system: 'http://example.org/s', code: 'R' }] } }],
])('a contained resource breaking %s is refused', (key, contained) => {
  expect(errors(holding(contained)).some((t) => t.includes(`Constraint ${key} not met`))).toBe(true);
});

test('a resource without contained resources, or with clean ones, passes them', () => {
  expect(errors({ resourceType: 'Patient', meta: { versionId: '3', security: [{ code: 'R' }] } })).toEqual(
    [],
  );
  expect(errors(holding({ name: [{ family: 'Ng' }] }))).toEqual([]);
});
