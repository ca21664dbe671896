import type { Resource } from '@medplum/fhirtypes';
import type { StoredResource } from '../../src/app/ports/store-port';
import { shareReads } from '../../src/app/deliver/shared-reads';
import { referencesIn } from '../../src/fhir/references';

/** What the rows of one lease share: each supporting resource read once, and frozen. */

function fakeStore(fail = 0) {
  let reads = 0;
  return {
    reads: () => reads,
    async getResource(resourceType: string, id: string): Promise<StoredResource | null> {
      reads++;
      if (reads <= fail) throw new Error('database is locked');
      if (id === 'missing') return null;
      const resource = { resourceType, id, name: [{ family: 'Ng' }] } as Resource;
      return { resourceType, id, versionId: 1, resource, patientMrn: null, lastUpdated: new Date(0) };
    },
  };
}

test('a resource is read once however many units ask, and what is handed out is frozen to its leaves', async () => {
  const store = fakeStore();
  const reads = shareReads(store);
  const [a, b] = await Promise.all([reads.latest('Patient', 'p1'), reads.latest('Patient', 'p1')]);
  expect(a).toBe(b);
  expect(await reads.latest('Patient', 'p1')).toBe(a);
  expect(await reads.latest('Practitioner', 'p1')).not.toBe(a);
  expect(await reads.latest('Patient', 'missing')).toBeNull();
  expect(store.reads()).toBe(3);
  const patient = a?.resource as { name: Array<{ family: string }> };
  expect(Object.isFrozen(patient)).toBe(true);
  expect(Object.isFrozen(patient.name[0])).toBe(true);
  expect(() => {
    'use strict';
    patient.name[0]!.family = 'changed';
  }).toThrow(TypeError);
});

test('a failed read is not kept: the next unit reads again', async () => {
  const store = fakeStore(1);
  const reads = shareReads(store);
  await expect(reads.latest('Patient', 'p1')).rejects.toThrow('database is locked');
  expect(await reads.latest('Patient', 'p1')).toMatchObject({ id: 'p1' });
  expect(store.reads()).toBe(2);
});

test('each lease has its own: a new one reads again', async () => {
  const store = fakeStore();
  await shareReads(store).latest('Patient', 'p1');
  await shareReads(store).latest('Patient', 'p1');
  expect(store.reads()).toBe(2);
});

test("a shared resource's references are found once, and are those of a thawed copy", async () => {
  const store = {
    async getResource(resourceType: string, id: string): Promise<StoredResource | null> {
      const resource = {
        resourceType,
        id,
        managingOrganization: { reference: 'Organization/o1' },
        generalPractitioner: [{ reference: 'Practitioner/d1' }, { display: 'no reference' }],
      } as Resource;
      return { resourceType, id, versionId: 1, resource, patientMrn: null, lastUpdated: new Date(0) };
    },
  };
  const shared = (await shareReads(store).latest('Patient', 'p1'))?.resource;
  const refs = referencesIn(shared);
  expect(referencesIn(shared)).toBe(refs);
  expect(refs).toEqual(referencesIn(structuredClone(shared)));
  expect(refs.map((r) => r.reference)).toEqual(['Organization/o1', 'Practitioner/d1']);
  expect(Object.isFrozen(refs)).toBe(true);
});
