import { loadR4Definitions } from '../../src/sandbox/definitions';
import { MAX_PAGE_SIZE, readSearchQuery, SearchQueryError } from '../../src/sandbox/search-query';

/** How the sandbox reads a search query (R4 search.html), as a table: query → what is used. */

const BASE = 'http://127.0.0.1:8090/fhir';
beforeAll(() => loadR4Definitions());

const read = (type: string, query: string, strict = false) =>
  readSearchQuery(type, new URLSearchParams(query), { baseUrl: BASE, strict });

test.each([
  ['a bare id on patient (one target type)', 'Observation', 'patient=123', [['patient', 'Patient/123']]],
  [
    'a bare id on subject (every target type)',
    'Observation',
    'subject=123',
    [['subject', 'Group/123,Device/123,Patient/123,Location/123']],
  ],
  ['the :Patient modifier', 'Observation', 'subject:Patient=123', [['subject', 'Patient/123']]],
  ['a typed reference', 'Communication', 'patient=Patient/9', [['patient', 'Patient/9']]],
  ['an absolute URL on this server', 'Observation', `patient=${BASE}/Patient/7`, [['patient', 'Patient/7']]],
  [
    'an absolute URL elsewhere stays as sent',
    'Observation',
    'patient=https://x.example/Patient/7',
    [['patient', 'https://x.example/Patient/7']],
  ],
  ['a token is left alone', 'Patient', 'identifier=s|v', [['identifier', 's|v']]],
  ['_sort on a known parameter', 'Patient', '_sort=-identifier', [['_sort', '-identifier']]],
  ['_format', 'Patient', '_format=json', [['_format', 'json']]],
])('%s', (_name, type, query, used) => {
  expect(read(type, query).used).toEqual(used);
});

test.each([
  ['an unknown parameter', 'Patient', 'favourite-colour=blue', ['favourite-colour']],
  ['_include (not offered)', 'Observation', '_include=Observation:patient', ['_include']],
  ['_has (not offered)', 'Patient', '_has:Observation:patient:code=x', ['_has:Observation:patient:code']],
  ['_sort on an unknown parameter', 'Patient', '_sort=shoe-size', ['_sort']],
  ['a modifier naming no R4 type on a reference', 'Observation', 'subject:Foo=1', ['subject:Foo']],
  [
    'a chain deeper than one level',
    'Observation',
    'subject:Patient.organization.name=x',
    ['subject:Patient.organization.name'],
  ],
  ['a chain on a parameter the target lacks', 'Observation', 'patient.shoe-size=x', ['patient.shoe-size']],
])('%s is not used (reported)', (_name, type, query, ignored) => {
  const q = read(type, query);
  expect(q.ignored).toEqual(ignored);
  expect(q.used).toEqual([]);
  expect(() => read(type, query, true)).toThrow(SearchQueryError);
});

test('a one-level chain names its targets and inner parameter', () => {
  expect(read('Observation', 'subject:Patient.identifier=s|v').chains).toEqual([
    {
      key: 'subject:Patient.identifier',
      value: 's|v',
      code: 'subject',
      targets: ['Patient'],
      inner: 'identifier',
    },
  ]);
});

test.each([
  ['no _count', '', 0, 100],
  ['_count and _offset', '_count=2&_offset=4', 4, 2],
  ['a _count above the largest page', '_count=100000', 0, MAX_PAGE_SIZE],
  ['_summary=count', '_summary=count', 0, 0],
])('paging: %s', (_name, query, offset, count) => {
  expect(read('Patient', query)).toMatchObject({ offset, count });
});

test.each([
  ['_count=abc', '_count=abc'],
  ['_offset=-1', '_offset=-1'],
  ['a malformed date', 'birthdate=not-a-date'],
])('%s is refused', (_name, query) => {
  expect(() => read('Patient', query)).toThrow(SearchQueryError);
});
