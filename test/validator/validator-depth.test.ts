import type {
  CodeSystem,
  OperationOutcome,
  ValueSet,
  ValueSetComposeIncludeFilter,
} from '@medplum/fhirtypes';
import { createValidator } from '../../src/fhir/validator';
import { createTerminology } from '../../src/fhir/validator/terminology';
import type { FhirPackageContents, ValidateOptions } from '../../src/fhir/validator';

/**
 * The rules added for issue 13 ("validator depth"), each shown failing and passing on small
 * resources written here. The HL7 suites (hl7-validator*-cases.test.ts) measure agreement; these
 * pin down what each rule does and does not catch.
 */
const none: FhirPackageContents = { structureDefinitions: [], valueSets: [], codeSystems: [] };
const base = createValidator();

function errors(oo: OperationOutcome): string[] {
  return (oo.issue ?? [])
    .filter((i) => i.severity === 'error' || i.severity === 'fatal')
    .map((i) => `${i.expression?.join(',') ?? ''}: ${i.details?.text ?? ''}`);
}

const check = (resource: unknown, options?: ValidateOptions): string[] =>
  errors(base.validate(resource, options));

describe('JSON comments (allow-comments)', () => {
  const text = '{\n  // a patient\n  "resourceType": "Patient", /* inline */ "active": true\n}';
  test('are an error by default, accepted with allowComments', () => {
    expect(errors(base.validateText(text))).toEqual([expect.stringContaining('Comments are not allowed')]);
    expect(errors(base.validateText(text, { allowComments: true }))).toEqual([]);
  });
  test('an unclosed block comment stays an error', () => {
    expect(
      errors(base.validateText('{"resourceType":"Patient"} /* open', { allowComments: true })),
    ).toHaveLength(1);
  });
});

describe('URIs and canonicals', () => {
  const vs = (url: string, system: string, contained?: unknown[]) => ({
    resourceType: 'ValueSet',
    status: 'active',
    url,
    ...(contained ? { contained } : {}),
    compose: { include: [{ system, concept: [{ code: 'a' }] }] },
  });
  test('compose.include.system must be absolute', () => {
    expect(check(vs('http://example.org/vs', '#cs'))).toEqual([
      expect.stringContaining(
        'ValueSet.compose.include[0].system: URI values in ValueSet.compose.include.system must be absolute',
      ),
    ]);
    expect(check(vs('http://example.org/vs', 'http://example.org/cs'))).toEqual([]);
  });
  test('a canonical url is absolute (a fragment at the root is tolerated), and in a contained resource too', () => {
    expect(check(vs('ValueSet/x', 'http://example.org/cs'))).toEqual([
      expect.stringContaining('ValueSet.url'),
    ]);
    const cs = { resourceType: 'CodeSystem', id: 'c1', url: 'c1', status: 'active', content: 'complete' };
    expect(check(vs('http://example.org/vs', 'http://example.org/cs', [cs]))).toEqual([
      expect.stringContaining('ValueSet.contained[0].url: Canonical URLs in contained resources'),
    ]);
  });
  test('urn:uuid values hold a valid lowercase UUID', () => {
    expect(check(vs('urn:uuid:6A2EE390-978E-42C6-8F88-C17DFF3BD8A3', 'http://example.org/cs'))).toEqual([
      expect.stringContaining('UUIDs must be valid and lowercase'),
    ]);
    expect(check(vs('urn:uuid:6a2ee390-978e-42c6-8f88-c17dff3bd8a3', 'http://example.org/cs'))).toEqual([]);
  });
});

describe('Codings against the loaded code systems', () => {
  const obs = (coding: unknown) => ({
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [coding] },
  });
  test('an unknown code in a complete core code system is an error; a known one is not', () => {
    const legal = (code: string) => ({
      resourceType: 'Contract',
      legalState: { coding: [{ system: 'http://hl7.org/fhir/contract-legalstate', code }] },
    });
    expect(check(legal('nope'))).toEqual([expect.stringContaining("Unknown code 'nope'")]);
    expect(check(legal('amended'))).toEqual([]);
  });
  test('Coding.system is absolute, names a code system (not a value set), and never a supplement', () => {
    expect(check(obs({ system: 'Location1', code: 'x' }))).toEqual([expect.stringContaining('absolute URI')]);
    expect(check(obs({ system: 'http://hl7.org/fhir/ValueSet/observation-codes', code: 'x' }))).toEqual([
      expect.stringContaining('names a value set, not a code system'),
    ]);
    const supplement = {
      resourceType: 'CodeSystem',
      url: 'http://example.org/cs-supplement',
      status: 'active',
      content: 'supplement',
      supplements: 'http://loinc.org',
    };
    const v = createValidator({ packages: [{ ...none, codeSystems: [supplement as never] }] });
    expect(errors(v.validate(obs({ system: 'http://example.org/cs-supplement', code: 'x' })))).toEqual([
      expect.stringContaining('is a supplement'),
    ]);
  });
  test('code systems not loaded, or loaded in part, are not judged', () => {
    expect(check(obs({ system: 'http://loinc.org', code: 'not-a-loinc-code' }))).toEqual([]);
  });
  test('a required code with only extensions (no value) is an error', () => {
    const allergy = {
      resourceType: 'AllergyIntolerance',
      patient: { reference: 'Patient/1' },
      clinicalStatus: {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' },
        ],
      },
      _category: [
        {
          extension: [
            { url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' },
          ],
        },
      ],
    };
    expect(check(allergy)).toEqual([
      expect.stringContaining('AllergyIntolerance.category[0]: No code provided'),
    ]);
    expect(check({ ...allergy, category: ['food'] })).toEqual([]);
  });
});

describe('invariants', () => {
  test('que-12 as its text says: two enableWhen need an enableBehavior', () => {
    const when = { question: 'q1', operator: 'exists', answerBoolean: true };
    const q = (item: Record<string, unknown>) => ({
      resourceType: 'Questionnaire',
      status: 'active',
      item: [
        { linkId: 'q1', type: 'boolean' },
        { linkId: 'q2', type: 'string', ...item },
      ],
    });
    expect(check(q({ enableWhen: [when, when] }))).toEqual([expect.stringContaining('que-12')]);
    expect(check(q({ enableWhen: [when, when], enableBehavior: 'all' }))).toEqual([]);
    expect(check(q({ enableWhen: [when] }))).toEqual([]);
  });
});

describe('terminology resources', () => {
  test('CodeSystem properties: declared once, with the type a known URI has, values of the declared type', () => {
    const cs = {
      resourceType: 'CodeSystem',
      url: 'http://example.org/cs',
      status: 'active',
      content: 'complete',
      property: [
        {
          code: 'notSelectable',
          uri: 'http://hl7.org/fhir/concept-properties#notSelectable',
          type: 'dateTime',
        },
        { code: 'notSelectable', type: 'boolean' },
        { code: 'weight', type: 'decimal' },
      ],
      concept: [{ code: 'a', property: [{ code: 'weight', valueInteger: 1 }] }],
    };
    const found = check(cs);
    expect(found).toEqual([
      expect.stringContaining("Wrong type 'dateTime'"),
      expect.stringContaining("already defined with the code 'notSelectable'"),
      expect.stringContaining("'weight' has the type 'integer'"),
    ]);
  });
  test('a SNOMED CT constraint filter must be ECL', () => {
    const vs = (value: string) => ({
      resourceType: 'ValueSet',
      status: 'active',
      compose: {
        include: [{ system: 'http://snomed.info/sct', filter: [{ property: 'constraint', op: '=', value }] }],
      },
    });
    expect(check(vs('234234 << 234234'))).toEqual([expect.stringContaining('not valid ECL')]);
    expect(check(vs('<< 404684003 |Clinical finding|'))).toEqual([]);
  });
  test('a filter on a Coding property names system#code, and the code exists', () => {
    const sub = {
      resourceType: 'CodeSystem',
      url: 'http://example.org/sub',
      status: 'active',
      content: 'complete',
      concept: [{ code: 'r1' }],
    };
    const cs = {
      resourceType: 'CodeSystem',
      url: 'http://example.org/cs',
      status: 'active',
      content: 'complete',
      property: [{ code: 'p', type: 'Coding' }],
      concept: [
        {
          code: 'a',
          property: [{ code: 'p', valueCoding: { system: 'http://example.org/sub', code: 'r1' } }],
        },
      ],
    };
    const v = createValidator({ packages: [{ ...none, codeSystems: [sub, cs] as never }] });
    const vs = (value: string) => ({
      resourceType: 'ValueSet',
      status: 'active',
      compose: {
        include: [{ system: 'http://example.org/cs', filter: [{ property: 'p', op: '=', value }] }],
      },
    });
    expect(errors(v.validate(vs('http://example.org/sub#r1')))).toEqual([]);
    expect(errors(v.validate(vs('r1')))).toEqual([expect.stringContaining('system(|version)#code')]);
    expect(errors(v.validate(vs('http://example.org/sub#r9')))).toEqual([
      expect.stringContaining("unknown code 'r9'"),
    ]);
  });
  test('ConceptMap source codes come from its source value set', () => {
    const vs = {
      resourceType: 'ValueSet',
      url: 'http://example.org/vs',
      status: 'active',
      compose: { include: [{ system: 'http://example.org/cs', concept: [{ code: 'a' }] }] },
    };
    const v = createValidator({ packages: [{ ...none, valueSets: [vs as never] }] });
    const cm = (code: string) => ({
      resourceType: 'ConceptMap',
      status: 'active',
      sourceCanonical: 'http://example.org/vs',
      group: [
        {
          source: 'http://example.org/cs',
          element: [{ code, target: [{ code: 'x', equivalence: 'equal' }] }],
        },
      ],
    });
    expect(errors(v.validate(cm('a')))).toEqual([]);
    expect(errors(v.validate(cm('b')))).toEqual([expect.stringContaining("source code 'b'")]);
  });
});

describe('profiles without a snapshot, and StructureDefinition rules', () => {
  const profile = {
    resourceType: 'StructureDefinition',
    url: 'http://example.org/StructureDefinition/AgeObs',
    name: 'AgeObs',
    status: 'active',
    kind: 'resource',
    abstract: false,
    type: 'Observation',
    baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Observation',
    derivation: 'constraint',
    differential: {
      element: [
        {
          id: 'Observation.value[x]',
          path: 'Observation.value[x]',
          min: 1,
          type: [{ code: 'Quantity' }],
          binding: { strength: 'required', valueSet: 'http://hl7.org/fhir/ValueSet/age-units' },
        },
      ],
    },
  };
  const obs = (unit: string) => ({
    resourceType: 'Observation',
    meta: { profile: [profile.url] },
    status: 'final',
    code: { text: 'age' },
    valueQuantity: { value: 3, system: 'http://unitsofmeasure.org', code: unit },
  });
  test('a differential-only profile gets a snapshot and is applied (here: a required binding on a Quantity)', () => {
    const v = createValidator({ packages: [{ ...none, structureDefinitions: [profile as never] }] });
    expect(errors(v.validate(obs('a')))).toEqual([]);
    expect(errors(v.validate(obs('m')))).toEqual([expect.stringContaining('age-units')]);
  });
  test('a differential path must agree with its id', () => {
    const bad = {
      ...profile,
      differential: { element: [{ id: 'Observation.valueQuantity', path: 'Observation.valueBla' }] },
    };
    expect(check(bad)).toEqual([expect.stringContaining("The path 'Observation.valueBla' does not match")]);
    const renamed = {
      ...profile,
      differential: { element: [{ id: 'Observation.valueQuantity', path: 'Observation.valueQuantity' }] },
    };
    expect(check(renamed)).toEqual([]);
  });
  test('a profile cannot change a fixed value of its base', () => {
    const ext = (url: string, baseDefinition: string) => ({
      resourceType: 'StructureDefinition',
      url,
      name: 'Ext',
      status: 'active',
      kind: 'complex-type',
      abstract: false,
      context: [{ type: 'element', expression: 'Element' }],
      type: 'Extension',
      baseDefinition,
      derivation: 'constraint',
      differential: {
        element: [
          { id: 'Extension.url', path: 'Extension.url', fixedUri: url },
          { id: 'Extension.value[x]', path: 'Extension.value[x]', type: [{ code: 'string' }] },
        ],
      },
    });
    const parent = ext('http://example.org/ext-base', 'http://hl7.org/fhir/StructureDefinition/Extension');
    const v = createValidator({ packages: [{ ...none, structureDefinitions: [parent as never] }] });
    expect(errors(v.validate(parent))).toEqual([]);
    expect(errors(v.validate(ext('http://example.org/ext-derived', 'http://example.org/ext-base')))).toEqual([
      expect.stringContaining('cannot be changed'),
    ]);
  });
  test('a discriminator path names an element of the sliced element', () => {
    const sliced = (path: string) => ({
      ...profile,
      differential: {
        element: [
          {
            id: 'Observation.extension',
            path: 'Observation.extension',
            slicing: { discriminator: [{ type: 'value', path }], rules: 'open' },
          },
        ],
      },
    });
    expect(check(sliced('url'))).toEqual([]);
    expect(check(sliced('type'))).toEqual([expect.stringContaining("The discriminator path 'type'")]);
  });
});

describe('references', () => {
  test('a reference whose type no target allows is an error', () => {
    const obs = (reference: string) => ({
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
      subject: { reference },
    });
    expect(check(obs('Patient/1'))).toEqual([]);
    expect(check(obs('Medication/1'))).toEqual([expect.stringContaining("The type 'Medication'")]);
  });
  test('in a document, a versioned reference names an entry of that version; an unversioned one is not ambiguous', () => {
    const doc = (refs: string[]) => ({
      resourceType: 'Bundle',
      type: 'document',
      identifier: { system: 'urn:ietf:rfc:3986', value: 'urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0' },
      timestamp: '2024-01-01T00:00:00Z',
      entry: [
        {
          fullUrl: 'http://example.org/fhir/Composition/c',
          resource: {
            resourceType: 'Composition',
            id: 'c',
            status: 'final',
            type: { text: 'note' },
            date: '2024-01-01',
            author: [{ display: 'a' }],
            title: 't',
            section: [{ title: 's', entry: refs.map((reference) => ({ reference })) }],
          },
        },
        ...['1', '2'].map((v) => ({
          fullUrl: 'http://example.org/fhir/Observation/o',
          resource: {
            resourceType: 'Observation',
            id: 'o',
            meta: { versionId: v },
            status: 'final',
            code: { text: 'x' },
          },
        })),
      ],
    });
    expect(check(doc(['Observation/o/_history/1', 'Observation/o/_history/2']))).toEqual([]);
    expect(check(doc(['Observation/o/_history/3']))).toEqual([
      expect.stringContaining("Cannot find 'Observation/o/_history/3'"),
    ]);
    expect(check(doc(['Observation/o']))).toEqual([expect.stringContaining('matches 2 entries')]);
  });
});

describe('validateContains', () => {
  test('ignore leaves contained resources unchecked', () => {
    const condition = {
      resourceType: 'Condition',
      subject: { reference: '#p' },
      contained: [{ resourceType: 'Patient', id: 'p', gender: 'not-a-gender' }],
    };
    expect(check(condition)).toEqual([expect.stringContaining('Condition.contained[0].gender')]);
    expect(check(condition, { validateContains: 'ignore' })).toEqual([]);
  });
});

describe('extension context', () => {
  const birthPlace = {
    url: 'http://hl7.org/fhir/StructureDefinition/patient-birthPlace',
    valueAddress: { city: 'Oslo' },
  };
  test('an extension is allowed where its context says (patient-birthPlace: Patient)', () => {
    expect(check({ resourceType: 'Patient', extension: [birthPlace] })).toEqual([]);
  });
  test('and is an error elsewhere', () => {
    expect(check({ resourceType: 'Practitioner', extension: [birthPlace] })).toEqual([
      expect.stringContaining('is not allowed here'),
    ]);
    expect(check({ resourceType: 'Patient', name: [{ family: 'x', extension: [birthPlace] }] })).toEqual([
      expect.stringContaining('Patient.name[0].extension[0]'),
    ]);
  });
  test('a datatype-rooted context matches inside any resource, primitives included', () => {
    const ownPrefix = {
      url: 'http://hl7.org/fhir/StructureDefinition/humanname-own-prefix',
      valueString: 'van',
    };
    const person = (resourceType: string) => ({
      resourceType,
      name: [{ family: 'Hoven', _family: { extension: [ownPrefix] } }],
    });
    expect(check(person('Patient'))).toEqual([]);
    expect(check(person('Practitioner'))).toEqual([]);
    expect(check({ resourceType: 'Patient', name: [{ family: 'Hoven', extension: [ownPrefix] }] })).toEqual([
      expect.stringContaining('is not allowed here'),
    ]);
  });
});

describe('value sets defined by filters', () => {
  const cs = {
    resourceType: 'CodeSystem',
    url: 'http://example.org/cs',
    status: 'active',
    content: 'complete',
    property: [{ code: 'kind', type: 'code' }],
    concept: [
      {
        code: 'animal',
        property: [{ code: 'kind', valueCode: 'living' }],
        concept: [{ code: 'dog', concept: [{ code: 'puppy' }] }, { code: 'cat' }],
      },
      { code: 'stone', property: [{ code: 'kind', valueCode: 'thing' }] },
    ],
  } as CodeSystem;
  const vs = (filter: ValueSetComposeIncludeFilter[]) =>
    ({
      resourceType: 'ValueSet',
      url: 'http://example.org/vs',
      status: 'active',
      compose: { include: [{ system: 'http://example.org/cs', filter }] },
    }) as ValueSet;
  const codes = (filter: ValueSetComposeIncludeFilter[]) =>
    [...(createTerminology([vs(filter)], [cs]).expand('http://example.org/vs')?.codes ?? [])].sort();
  test('is-a, descendent-of and is-not-a follow the concept hierarchy', () => {
    expect(codes([{ property: 'concept', op: 'is-a', value: 'dog' }])).toEqual(['dog', 'puppy']);
    expect(codes([{ property: 'concept', op: 'descendent-of', value: 'animal' }])).toEqual([
      'cat',
      'dog',
      'puppy',
    ]);
    expect(codes([{ property: 'concept', op: 'is-not-a', value: 'animal' }])).toEqual(['stone']);
  });
  test('= and in match concept properties; unknown operators leave the value set unexpanded', () => {
    expect(codes([{ property: 'kind', op: '=', value: 'thing' }])).toEqual(['stone']);
    expect(codes([{ property: 'kind', op: 'in', value: 'living,thing' }])).toEqual(['animal', 'stone']);
    expect(
      createTerminology([vs([{ property: 'concept', op: 'regex', value: 'd.*' }])], [cs]).expand(
        'http://example.org/vs',
      ),
    ).toBeUndefined();
  });
});

describe('extensible bindings', () => {
  test('a code outside the value set is a warning, not an error', () => {
    const patient = (code: string) => ({
      resourceType: 'Patient',
      maritalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code }] },
    });
    expect(base.validate(patient('M')).issue?.filter((i) => i.severity !== 'information')).toEqual([]);
    const other = base.validate({
      resourceType: 'Patient',
      maritalStatus: { coding: [{ system: 'http://example.org/marital', code: 'x' }] },
    });
    expect(errors(other)).toEqual([]);
    expect(other.issue).toEqual([
      expect.objectContaining({ severity: 'warning', expression: ['Patient.maritalStatus'] }),
    ]);
  });
});

describe('datatype invariants and date precision', () => {
  const encounter = (period: Record<string, string>) => ({
    resourceType: 'Encounter',
    status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
    period,
  });
  test("a datatype's own invariants hold where it is used (per-1 on Period)", () => {
    expect(check(encounter({ start: '2023-06-21T08:00:00Z', end: '2023-06-21T09:00:00Z' }))).toEqual([]);
    expect(check(encounter({ start: '2023-06-22', end: '2023-06-21' }))).toEqual([
      expect.stringContaining('Encounter.period: Constraint per-1 not met'),
    ]);
  });
  test('dates of different precision that agree as far as both go cannot be ordered (FHIRPath)', () => {
    expect(check(encounter({ start: '2023-06-21', end: '2023-06-21T06:20:00Z' }))).toEqual([
      expect.stringContaining('per-1'),
    ]);
    expect(check(encounter({ start: '2023-06-20', end: '2023-06-21T06:20:00Z' }))).toEqual([]);
  });
});

describe('narrative links', () => {
  const list = (div: string, contained?: unknown[]) => ({
    resourceType: 'List',
    status: 'current',
    mode: 'snapshot',
    text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${div}</div>` },
    ...(contained ? { contained } : {}),
  });
  test('a link to a place in the narrative must resolve to an id or name there, or a contained resource', () => {
    expect(check(list('<a name="top"/><p><a href="#top">up</a></p>'))).toEqual([]);
    expect(
      check(list('<p><a href="#a1">A</a></p>', [{ resourceType: 'Basic', id: 'a1', code: { text: 'x' } }])),
    ).toEqual([]);
    expect(check(list('<a name="top"/><p><a href="#top/other">up</a></p>'))).toEqual([
      expect.stringContaining("link to '#top/other' does not resolve"),
    ]);
  });
});
