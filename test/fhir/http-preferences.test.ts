import { acceptsFhirJson, readPrefer } from '../../src/fhir/http-preferences';

/** What a FHIR client asks of the answer (R4 http.html#mime-type, #ops; search.html#errors). */

test.each([
  ['no Accept, no _format', undefined, undefined, true],
  ['Accept: application/fhir+json', 'application/fhir+json', undefined, true],
  ['Accept: application/json; charset=utf-8', 'application/json; charset=utf-8', undefined, true],
  ['Accept: */*', '*/*', undefined, true],
  ['XML preferred, JSON acceptable', 'application/fhir+xml, application/fhir+json;q=0.8', undefined, true],
  ['Accept: application/fhir+xml', 'application/fhir+xml', undefined, false],
  ['Accept: text/html', 'text/html', undefined, false],
  ['JSON refused with q=0', 'application/fhir+json;q=0', undefined, false],
  ['_format=json wins over an XML Accept', 'application/fhir+xml', 'json', true],
  ['_format=xml wins over a JSON Accept', 'application/fhir+json', 'xml', false],
  ['_format=application/fhir+xml', undefined, 'application/fhir+xml', false],
  ['_format=application/fhir+json', undefined, 'application/fhir+json', true],
])('%s → JSON acceptable: %s', (_name, accept, format, expected) => {
  expect(acceptsFhirJson(accept, format)).toBe(expected);
});

test.each([
  ['no Prefer', undefined, { return: 'representation', handling: 'lenient' }],
  ['return=minimal', 'return=minimal', { return: 'minimal', handling: 'lenient' }],
  ['return=OperationOutcome', 'return=OperationOutcome', { return: 'OperationOutcome', handling: 'lenient' }],
  ['handling=strict', 'handling=strict', { return: 'representation', handling: 'strict' }],
  ['both, comma-separated', 'return=minimal, handling=strict', { return: 'minimal', handling: 'strict' }],
  [
    'an unknown token is ignored',
    'respond-async, wait=10',
    { return: 'representation', handling: 'lenient' },
  ],
  ['an unknown value is ignored', 'return=everything', { return: 'representation', handling: 'lenient' }],
])('Prefer: %s', (_name, header, expected) => {
  expect(readPrefer(header)).toEqual(expected);
});
