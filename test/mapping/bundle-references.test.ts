import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import { resolveInBundle } from '../../src/mapping/bundle-references';

/**
 * Resolving references inside a Bundle (R4 §2.36.4.1) through an index of the entries: the
 * first entry that matches, as a scan of the entries finds it.
 */
const base = 'https://ehr.example/fhir';
const entry = (type: string, id: string, fullUrl?: string | null): BundleEntry => ({
  ...(fullUrl === null ? {} : { fullUrl: fullUrl ?? `${base}/${type}/${id}` }),
  resource: { resourceType: type, id } as BundleEntry['resource'],
});

test('absolute, urn and relative references resolve to the first matching entry', () => {
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      entry('ServiceRequest', 'sr1'),
      { fullUrl: `${base}/Patient/p1` }, // no resource: never a target
      entry('Patient', 'p1'),
      entry('Patient', 'p1'), // a duplicate: the first one wins
      entry('Practitioner', 'dr', 'urn:uuid:7f0c1f6e-4a49-4e0e-9a38-3f2d3c0b9a11'),
      entry('Organization', 'org', null), // no fullUrl: found by type and id
    ],
  };
  expect(resolveInBundle(bundle, { reference: 'Patient/p1' }, 0)?.index).toBe(2);
  expect(resolveInBundle(bundle, { reference: `${base}/Patient/p1` }, 0)?.index).toBe(2);
  expect(
    resolveInBundle(bundle, { reference: 'urn:uuid:7f0c1f6e-4a49-4e0e-9a38-3f2d3c0b9a11' }, 0)?.index,
  ).toBe(4);
  expect(resolveInBundle(bundle, { reference: 'Practitioner/dr' }, 0)?.index).toBe(4);
  expect(resolveInBundle(bundle, { reference: 'Organization/org' }, 0)?.index).toBe(5);
  expect(resolveInBundle(bundle, { reference: 'Patient/nobody' }, 0)).toBeUndefined();
  expect(resolveInBundle(bundle, { reference: `${base}/Patient/nobody` }, 0)).toBeUndefined();
  expect(resolveInBundle(bundle, {}, 0)).toBeUndefined();
});

test('entries added after a first lookup are found', () => {
  const entries = [entry('ServiceRequest', 'sr1')];
  const bundle: Bundle = { resourceType: 'Bundle', type: 'batch', entry: entries };
  expect(resolveInBundle(bundle, { reference: 'Patient/p2' }, 0)).toBeUndefined();
  entries.push(entry('Patient', 'p2'));
  expect(resolveInBundle(bundle, { reference: 'Patient/p2' }, 0)?.index).toBe(1);
});

test('every referral of a large Bundle finds its own Patient', () => {
  const n = 2_000;
  const entries: BundleEntry[] = [];
  for (let i = 0; i < n; i++) entries.push(entry('ServiceRequest', `sr${i}`), entry('Patient', `p${i}`));
  const bundle: Bundle = { resourceType: 'Bundle', type: 'batch', entry: entries };
  for (let i = 0; i < n; i++) {
    expect(resolveInBundle(bundle, { reference: `Patient/p${i}` }, 2 * i)?.index).toBe(2 * i + 1);
  }
});
