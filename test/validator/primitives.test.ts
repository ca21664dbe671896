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

/**
 * Places a literal, as written, in `Parameters.parameter.value[x]` of its type (every primitive
 * and Reference is allowed there). The literal text is spliced in so that what the parser sees
 * is exactly the line of the file (`1.0` stays `1.0`, `t` stays invalid JSON). A `null` literal
 * means "no value": the element then carries only an extension, the one way FHIR JSON has of
 * giving an element without a value (https://hl7.org/fhir/R4/json.html#primitive).
 */
function resourceText(type: string, literal: string): string {
  if (type === 'xhtml') {
    // Narrative.div is the only element of type xhtml in R4.
    return `{"resourceType": "Basic", "code": {"text": "t"}, "text": {"status": "generated", "div": ${literal}}}`;
  }
  const key = `value${type[0]?.toUpperCase()}${type.slice(1)}`;
  const param =
    literal.trim() === 'null'
      ? `"_${key}": {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode": "unknown"}]}`
      : `"${key}": ${literal}`;
  return `{"resourceType": "Parameters", "parameter": [{"name": "p", ${param}}]}`;
}

interface Divergence {
  type: string;
  literal: string;
  specVerdict: 'valid' | 'invalid';
  rule: string;
}
const divergences = (
  JSON.parse(
    fs.readFileSync(path.join(__dirname, '../../fixtures/validator/primitive-spec-divergences.json'), 'utf8'),
  ) as { cases: Divergence[] }
).cases;

function expectedVerdict(
  type: string,
  literal: string,
  fileVerdict: 'valid' | 'invalid',
): 'valid' | 'invalid' {
  return divergences.find((d) => d.type === type && d.literal === literal)?.specVerdict ?? fileVerdict;
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
      .map((literal) => ({
        type: fhirType(stem),
        verdict: expectedVerdict(fhirType(stem), literal, verdict),
        literal,
      }));
  });

describe('primitive literals (google/fhir testdata) placed in an element of their type', () => {
  const validator = createValidator();

  afterAll(() => {
    const agree = cases.length - divergences.length;
    console.log(
      `Primitive literals: ${agree}/${cases.length} judged as their file says; ${divergences.length} follow the R4 spec instead (fixtures/validator/primitive-spec-divergences.json)`,
    );
  });

  test.each(cases)('a $type written as $literal is judged $verdict', ({ type, literal, verdict }) => {
    const result = validator.validateText(resourceText(type, literal));
    expect({ literal, valid: !hasErrors(result), issues: result.issue }).toMatchObject({
      literal,
      valid: verdict === 'valid',
    });
  });
});
