import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CodeSystem, Resource, StructureDefinition, ValueSet } from '@medplum/fhirtypes';
import { EXTENSION, PROFILE } from '../../src/fhir/canonical';
import { createValidator } from '../../src/fhir/validator';

const PACKAGE_DIR = join(__dirname, '..', '..', 'profiles', 'package');

function readPackageJson<T>(name: string): T {
  return JSON.parse(readFileSync(join(PACKAGE_DIR, name), 'utf8')) as T;
}

interface IndexFile {
  'index-version': number;
  files: { filename: string; resourceType: string; id: string; url?: string }[];
}

interface ProfileCase {
  name: string;
  profile: keyof typeof PROFILE;
  valid: boolean;
  expression?: string;
  resource: Resource;
}

function resourcesOf<T>(prefix: string): T[] {
  return readdirSync(PACKAGE_DIR)
    .filter((f) => f.startsWith(`${prefix}-`))
    .sort()
    .map((f) => readPackageJson<T>(f));
}

const definitions = resourcesOf<StructureDefinition>('StructureDefinition');

describe('profiles/package, loaded as a FHIR NPM package folder', () => {
  test('its manifest is the profiles manifest: FHIR 4.0.1, the canonical base, R4 core as dependency', () => {
    const manifest = readPackageJson<Record<string, unknown>>('package.json');
    const source = JSON.parse(readFileSync(join(PACKAGE_DIR, '..', 'package.json'), 'utf8')) as unknown;
    expect(manifest).toEqual(source);
    expect(manifest).toMatchObject({
      fhirVersions: ['4.0.1'],
      canonical: 'https://kap-bridge.example/fhir',
      dependencies: { 'hl7.fhir.r4.core': '4.0.1' },
    });
  });

  test('.index.json lists every resource file with its type, id and url', () => {
    const index = readPackageJson<IndexFile>('.index.json');
    const resources = readdirSync(PACKAGE_DIR).filter((f) => f !== 'package.json' && f !== '.index.json');
    expect(index['index-version']).toBe(1);
    expect(index.files.map((f) => f.filename).sort()).toEqual(resources.sort());
    for (const entry of index.files) {
      const resource = readPackageJson<Resource & { url?: string }>(entry.filename);
      expect([resource.resourceType, resource.id, resource.url]).toEqual([
        entry.resourceType,
        entry.id,
        entry.url,
      ]);
    }
  });

  test.each([...Object.values(PROFILE), ...Object.values(EXTENSION)])(
    '%s is present with a snapshot that holds every differential element',
    (url) => {
      const sd = definitions.find((d) => d.url === url);
      expect(sd).toBeDefined();
      const snapshotIds = new Set(sd?.snapshot?.element?.map((e) => e.id));
      expect(sd?.snapshot?.element?.[0]?.id).toBe(sd?.type);
      for (const element of sd?.differential?.element ?? []) expect(snapshotIds).toContain(element.id);
    },
  );
});

describe('the kap profiles, loaded into the project validator, accept and refuse resources', () => {
  const validator = createValidator({
    packages: [
      {
        name: 'kap-bridge.fhir.profiles',
        structureDefinitions: definitions,
        valueSets: resourcesOf<ValueSet>('ValueSet'),
        codeSystems: resourcesOf<CodeSystem>('CodeSystem'),
      },
    ],
  });
  const cases = JSON.parse(
    readFileSync(join(__dirname, '..', '..', 'fixtures', 'profiles', 'profile-cases.json'), 'utf8'),
  ) as ProfileCase[];

  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const outcome = validator.validate(c.resource, { profile: PROFILE[c.profile] });
    const errors = (outcome.issue ?? [])
      .filter((i) => i.severity === 'error' || i.severity === 'fatal')
      .map((i) => `${i.expression?.join(',') ?? ''}: ${i.details?.text ?? i.diagnostics ?? ''}`);
    if (c.valid) expect(errors).toEqual([]);
    else expect(errors.filter((e) => e.startsWith(c.expression ?? ''))).not.toEqual([]);
  });
});
