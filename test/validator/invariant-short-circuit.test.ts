import { evalFhirPathTyped, parseFhirPath, toTypedValue } from '@medplum/core';
import type { TypedValue } from '@medplum/core';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { createValidator } from '../../src/fhir/validator';
import { holdsByShortCircuit } from '../../src/fhir/validator/invariant-short-circuit';
import { presenceOperand } from '../../src/fhir/validator/presence-operand';

/**
 * An invariant whose first operand decides an `or` or an `implies` holds without evaluating the
 * rest (invariant-short-circuit.ts): a resource that breaks one is still refused, and only "holds"
 * is ever decided early.
 */
const validator = createValidator();
const errors = (r: Record<string, unknown>): string[] =>
  (validator.validate(r).issue ?? [])
    .filter((i: OperationOutcomeIssue) => i.severity === 'error' || i.severity === 'fatal')
    .map((i) => i.details?.text ?? '');
const broken = (r: Record<string, unknown>, key: string): boolean =>
  errors(r).some((t) => t.includes(`Constraint ${key} not met`));

const request = {
  resourceType: 'ServiceRequest',
  status: 'active',
  intent: 'order',
  subject: { reference: 'Patient/p1' },
};

test.each([
  ['prr-1', { ...request, orderDetail: [{ text: 'no code' }] }],
  ['per-1', { ...request, occurrencePeriod: { start: '2026-11-02', end: '2026-11-01' } }],
  ['att-1', { resourceType: 'Patient', photo: [{ data: 'aGVsbG8=' }] }],
  [
    'ppc-2',
    {
      resourceType: 'Consent',
      status: 'active',
      scope: { coding: [{ system: 'something', code: 'patient-privacy' }] },
      category: [{ text: 'c' }],
      policyRule: { text: 'p' },
    },
  ],
  [
    'que-12',
    {
      resourceType: 'Questionnaire',
      status: 'active',
      item: [
        { linkId: 'a', type: 'boolean' },
        { linkId: 'b', type: 'boolean' },
        {
          linkId: 'c',
          type: 'string',
          enableWhen: [
            { question: 'a', operator: '=', answerBoolean: true },
            { question: 'b', operator: '=', answerBoolean: true },
          ],
        },
      ],
    },
  ],
])('a resource breaking %s is still refused', (key, resource) => {
  expect(broken(resource, key)).toBe(true);
});

test('the same resources pass when the first operand decides the invariant', () => {
  expect(errors({ ...request, code: { text: 'x' }, orderDetail: [{ text: 'd' }] })).toEqual([]);
  expect(errors({ ...request, occurrencePeriod: { end: '2026-11-01' } })).toEqual([]);
  expect(errors({ resourceType: 'Patient', photo: [{ url: 'http://example.org/p.png' }] })).toEqual([]);
});

describe('holdsByShortCircuit', () => {
  const value = toTypedValue({ a: 'x', flag: true, n: [true, false] });
  const holds = (expression: string): boolean => holdsByShortCircuit(parseFhirPath(expression), value, {});

  test('decides an or whose operand is true, and an implies whose premise is false', () => {
    expect(holds('a.exists() or b.where(c = 1).exists()')).toBe(true);
    expect(holds('b.exists() or flag')).toBe(true);
    expect(holds('b.exists() implies c.exists()')).toBe(true);
    expect(holds('a.exists() implies flag')).toBe(true);
  });

  test('leaves to the full evaluation what it cannot decide, or what the full one refuses', () => {
    expect(holds('b.exists() or c.exists()')).toBe(false);
    expect(holds('a.exists() implies b.exists()')).toBe(false);
    expect(holds('a.exists() and flag')).toBe(false);
    // A non-boolean operand, or more than one value, is an evaluation error in full: not decided.
    expect(holds('a or flag')).toBe(false);
    expect(holds('n or flag')).toBe(false);
    expect(holds('%missing.exists() or flag')).toBe(false);
  });
});

describe('presenceOperand (element.exists() / element.empty() without FHIRPath)', () => {
  const values: TypedValue[] = [
    { type: 'Patient', value: { resourceType: 'Patient', name: [{ family: 'Ng' }] } },
    { type: 'Patient', value: { resourceType: 'Patient', name: [] } },
    { type: 'Patient', value: { resourceType: 'Patient', name: [{}, { family: 'Ng' }] } },
    { type: 'Patient', value: { resourceType: 'Patient', name: [{}] } },
    { type: 'Patient', value: { resourceType: 'Patient', gender: '' } },
    { type: 'Patient', value: { resourceType: 'Patient', gender: 'male' } },
    { type: 'Patient', value: { resourceType: 'Patient', _gender: { extension: [{ url: 'u' }] } } },
    { type: 'Patient', value: { resourceType: 'Patient', deceasedBoolean: false } },
    { type: 'Extension', value: { url: 'u', valueCoding: { code: 'c' } } },
    { type: 'Extension', value: { url: 'u' } },
    { type: 'BackboneElement', value: { valueString: 'x', other: null } },
    { type: 'BackboneElement', value: { resourceType: 'name', name: 'x' } },
  ];
  const names = ['name', 'gender', 'deceased', 'value', 'other', 'missing', 'constructor'];

  test('agrees with @medplum/core on every value, or leaves the operand to it', () => {
    let decided = 0;
    for (const value of values) {
      for (const name of names) {
        for (const fn of ['exists', 'empty']) {
          const expression = `${name}.${fn}()`;
          const atom = parseFhirPath(expression).child;
          const full = evalFhirPathTyped(expression, [value]);
          const native = presenceOperand(atom, value);
          if (native !== undefined) {
            decided++;
            expect([expression, value, native]).toEqual([expression, value, full[0]?.value]);
          }
        }
      }
    }
    expect(decided).toBeGreaterThan(70);
  });

  test('answers for element names, not for variables, type names or Object.prototype names', () => {
    const patient = values[0] as TypedValue;
    expect(presenceOperand(parseFhirPath('name.exists()').child, patient)).toBe(true);
    expect(presenceOperand(parseFhirPath('gender.empty()').child, patient)).toBe(true);
    expect(presenceOperand(parseFhirPath('constructor.exists()').child, patient)).toBeUndefined();
    expect(presenceOperand(parseFhirPath('Patient.exists()').child, patient)).toBeUndefined();
    expect(presenceOperand(parseFhirPath('name.exists(family)').child, patient)).toBeUndefined();
    expect(presenceOperand(parseFhirPath('%resource.exists()').child, patient)).toBeUndefined();
  });
});
