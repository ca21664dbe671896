import { eclSyntaxError } from '../../src/fhir/validator/ecl-syntax';

describe('ECL syntax (SNOMED CT constraint filters)', () => {
  test.each([
    '<< 404684003 |Clinical finding|',
    '<<73211009 |Diabetes mellitus|',
    '< 19829001 AND < 301867009',
    '(< 19829001 OR < 301867009) MINUS << 56265001',
    '<< 404684003: 363698007 = << 39057004',
    '< 404684003 : { 363698007 = << 39057004, 116676008 = << 415582006 }',
    '< 27658006 : [1..*] 127489000 = *',
    '^ 700043003 |Example problem list concepts reference set|',
    '< 91723000 |Anatomical structure| . 272741003',
    '< 373873005 : 1142135004 >= #250',
    '*',
    '/* all findings */ << 404684003',
  ])('accepts %s', (ecl) => {
    expect(eclSyntaxError(ecl)).toBeUndefined();
  });

  test.each([
    '234234 << 234234',
    '<< ',
    '404684003 |Clinical finding',
    '< 404684003 : 363698007',
    '(< 19829001',
    'abc',
  ])('refuses %s', (ecl) => {
    expect(eclSyntaxError(ecl)).toEqual(expect.any(String));
  });
});
