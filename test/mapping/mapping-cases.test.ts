import type { Patient, Resource } from '@medplum/fhirtypes';
import { expectedBundle, loadMappingCases, mapCase } from './mapping-case';
import { loadKapProfiles, US_CORE_PATIENT, validationErrors } from './r4-validation';

const cases = loadMappingCases();
const kapProfiles = loadKapProfiles();

function resources(name: string): Resource[] {
  const c = cases.find((x) => x.name === name);
  if (!c) throw new Error(name);
  return (mapCase(c).entry ?? []).map((e) => e.resource as Resource);
}

describe('mapping practice records to FHIR (fixtures/mapping)', () => {
  test('there is a case for every record kind', () => {
    expect(new Set(cases.map((c) => c.kind))).toEqual(
      new Set(['referral', 'consent', 'revocation', 'update', 'referral-status']),
    );
  });

  test.each(cases.map((c) => [c.name, c.description, c] as const))(
    '%s (%s): gives the expected Bundle',
    (_n, _d, c) => {
      expect(mapCase(c)).toEqual(expectedBundle(c));
    },
  );

  test.each(cases.map((c) => [c.name, c] as const))('%s: mapping twice gives identical output', (_n, c) => {
    expect(JSON.stringify(mapCase(c))).toBe(JSON.stringify(mapCase(c)));
  });

  test.each(cases.map((c) => [c.name, c] as const))(
    '%s: every resource passes base R4 validation',
    (_n, c) => {
      const bundle = mapCase(c);
      expect(validationErrors(bundle)).toEqual([]);
      for (const entry of bundle.entry ?? []) {
        expect({ id: entry.resource?.id, issues: validationErrors(entry.resource as Resource) }).toEqual({
          id: entry.resource?.id,
          issues: [],
        });
      }
    },
  );

  test.each(cases.map((c) => [c.name, c] as const))(
    '%s: every resource carries a business identifier',
    (_n, c) => {
      for (const entry of mapCase(c).entry ?? []) {
        const ids =
          (entry.resource as { identifier?: Array<{ system?: string; value?: string }> }).identifier ?? [];
        expect(ids.length).toBeGreaterThan(0);
        for (const id of ids) expect(id.system && id.value).toBeTruthy();
      }
    },
  );

  test.each(cases.map((c) => [c.name, c] as const))(
    '%s: the Patient is valid US Core 3.1.0 and minimum necessary',
    (_n, c) => {
      const patient = (mapCase(c).entry ?? [])
        .map((e) => e.resource)
        .find((r): r is Patient => r?.resourceType === 'Patient');
      expect(patient).toBeDefined();
      expect(validationErrors(patient as Patient, US_CORE_PATIENT)).toEqual([]);
      expect(Object.keys(patient as Patient).sort()).toEqual([
        'birthDate',
        'gender',
        'id',
        'identifier',
        'name',
        'resourceType',
      ]);
    },
  );
});

const profiled = cases.flatMap((c) =>
  (mapCase(c).entry ?? [])
    .map((e) => e.resource as Resource)
    .filter((r) => (r.meta?.profile ?? []).some((p) => kapProfiles.has(p)))
    .map((r) => [c.name, r.resourceType, r] as const),
);
if (profiled.length > 0) {
  test.each(profiled)('%s: the %s is valid against its kap profile', (_n, _t, r) => {
    const profile = kapProfiles.get((r.meta?.profile ?? []).find((p) => kapProfiles.has(p)) ?? '');
    expect(validationErrors(r, profile)).toEqual([]);
  });
}

describe('what the mapping leaves out or redacts', () => {
  test('the US Core check is effective: a Patient without gender or identifier is refused', () => {
    const patient = resources('referral-self')[1] as Patient;
    const { gender: _g, identifier: _i, ...stripped } = patient;
    const issues = validationErrors(stripped as Patient, US_CORE_PATIENT);
    expect(issues.map((i) => i.expression?.[0])).toEqual(
      expect.arrayContaining(['Patient.gender', 'Patient.identifier']),
    );
  });

  test('the outbound Patient carries no phone or email even when the referral has them', () => {
    const json = JSON.stringify(resources('referral-clinician-full'));
    expect(json).not.toContain('510-555-0142');
    expect(json).not.toContain('avery@example.com');
  });

  test('a refusal maps to a root deny with no nested permit', () => {
    const consent = resources('consent-deny')[0] as { provision?: { type?: string; provision?: unknown } };
    expect(consent.provision?.type).toBe('deny');
    expect(consent.provision?.provision).toBeUndefined();
  });

  test('an update with one observation and no suggestions has one payload per present section only', () => {
    const comm = resources('update-no-suggestions-logical-placer')[0] as {
      payload?: Array<{ extension?: Array<{ valueCoding?: { code?: string } }> }>;
    };
    expect((comm.payload ?? []).map((p) => p.extension?.[0]?.valueCoding?.code)).toEqual([
      'session-focus',
      'observations',
    ]);
  });
});
