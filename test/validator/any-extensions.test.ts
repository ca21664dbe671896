import { createValidator } from '../../src/fhir/validator';

const UNKNOWN = 'https://ehr.invalid/fhir/StructureDefinition/not-loaded';
const validator = createValidator();

function errorsOf(resource: Record<string, unknown>, allowAnyExtensions: boolean): string[] {
  return (validator.validate(resource, { allowAnyExtensions }).issue ?? [])
    .filter((i) => i.severity === 'error')
    .map((i) => i.expression?.[0] ?? '');
}

describe('allowAnyExtensions (HL7 -allow-any-extensions)', () => {
  const withExtension = { resourceType: 'Patient', extension: [{ url: UNKNOWN, valueString: 'x' }] };
  const withModifier = { resourceType: 'Patient', modifierExtension: [{ url: UNKNOWN, valueBoolean: true }] };

  test('without it, an extension that is not loaded is an error', () => {
    expect(errorsOf(withExtension, false)).toEqual(['Patient.extension[0]']);
  });

  test('with it, an extension that is not loaded is accepted', () => {
    expect(errorsOf(withExtension, true)).toEqual([]);
  });

  test('with it, a modifier extension that is not loaded is still an error', () => {
    expect(errorsOf(withModifier, true)).toEqual(['Patient.modifierExtension[0]']);
  });
});
