import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { createValidator } from '../../src/fhir/validator';

interface CalendarCase {
  type: string;
  value: string;
  valid: boolean;
}

const file = join(__dirname, '..', '..', 'fixtures', 'validator', 'calendar-date-cases.json');
const cases = (JSON.parse(readFileSync(file, 'utf8')) as { cases: CalendarCase[] }).cases;
const validator = createValidator();

const errorsOf = (oo: OperationOutcome): NonNullable<OperationOutcome['issue']> =>
  (oo.issue ?? []).filter((i) => i.severity === 'error' || i.severity === 'fatal');

describe('calendar dates in date, dateTime and instant', () => {
  test.each(cases.map((c) => [c.type, c.value, c.valid ? 'is accepted' : 'is an error', c] as const))(
    'a %s %s %s',
    (_t, _v, _r, c) => {
      expect(errorsOf(validator.validateValue(c.type, c.value)).length > 0).toBe(!c.valid);
    },
  );

  test('a Patient born on 30 February gets one value error at Patient.birthDate naming the day', () => {
    const errors = errorsOf(validator.validate({ resourceType: 'Patient', birthDate: '1999-02-30' }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'value', expression: ['Patient.birthDate'] });
    expect(errors[0]?.details?.text).toContain('February 1999, which has 28 days');
  });
});
