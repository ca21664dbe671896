import fs from 'node:fs';
import path from 'node:path';
import { hasErrors } from '../../src/fhir/outcomes';
import { createValidator } from '../../src/fhir/validator';
import { CONFORMANCE_DIR } from './conformance-paths';

const dir = path.join(CONFORMANCE_DIR, 'primitives');

/** `date_time` → `dateTime`, `reference` → `Reference` (complex types are capitalised). */
function fhirType(fileStem: string): string {
  const camel = fileStem.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return camel === 'reference' ? 'Reference' : camel;
}

const cases = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.ndjson'))
  .sort()
  .flatMap((file) => {
    const [stem, verdict] = file.split('.') as [string, 'valid' | 'invalid'];
    return fs
      .readFileSync(path.join(dir, file), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((literal) => ({ type: fhirType(stem), verdict, literal }));
  });

describe('primitive literals (google/fhir testdata) judged as values of their type', () => {
  const validator = createValidator();
  let agreed = 0;

  afterAll(() => {
    console.log(`Primitive literals: ${agreed}/${cases.length} judged as their file says`);
  });

  // The literal text goes to the validator as written, so `1.0` stays a decimal literal and `t`
  // stays malformed JSON.
  test.each(cases)('a $type written as $literal is judged $verdict', ({ type, literal, verdict }) => {
    const result = validator.validateValueText(type, literal);
    const valid = !hasErrors(result);
    if (valid === (verdict === 'valid')) agreed++;
    expect({ literal, valid, issues: result.issue }).toMatchObject({ literal, valid: verdict === 'valid' });
  });
});
