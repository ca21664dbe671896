import type { Resource } from '@medplum/fhirtypes';
import { loadFhirPackage, loadProjectProfiles } from '../../src/adapters/fhir-packages/load-package';
import { createValidator } from '../../src/fhir/validator';
import { loadMappingCases, mapCase } from './mapping-case';
import { US_CORE_PACKAGE } from './r4-validation';

// The project's own validator (DESIGN.md §4: required bindings, extension contents, ids, Bundle
// rules, security checks) over the kap profiles package and US Core 3.1.0, which the mapped
// Patient conforms to.
const validator = createValidator({
  packages: [...loadProjectProfiles(), loadFhirPackage(US_CORE_PACKAGE)],
  options: { securityChecks: true },
});

const entries = loadMappingCases().flatMap((c) => {
  const bundle = mapCase(c);
  return [
    [c.name, 'Bundle', bundle] as const,
    ...(bundle.entry ?? []).map(
      (e) => [c.name, e.resource?.resourceType ?? '', e.resource as Resource] as const,
    ),
  ];
});

describe('mapped resources pass the project validator with security checks (profiles from meta.profile)', () => {
  test.each(entries)('%s: the %s has no error', (_n, _t, resource) => {
    const issues = (validator.validate(resource).issue ?? []).filter(
      (i) => i.severity === 'error' || i.severity === 'fatal',
    );
    expect(issues).toEqual([]);
  });

  test('the check is effective: an update without its security labels is refused by the kap profile', () => {
    const update = entries.find(([, t]) => t === 'Communication')?.[2] as Resource;
    const stripped = { ...update, meta: { profile: update.meta?.profile } };
    const issues = (validator.validate(stripped).issue ?? []).filter((i) => i.severity === 'error');
    expect(issues.length).toBeGreaterThan(0);
  });

  test('the check is effective: a revocation extension without revokedAt is refused', () => {
    const revoked = entries.find(
      ([n, t]) => n === 'revocation-verbal' && t === 'Consent',
    )?.[2] as Resource & { extension?: Array<{ url: string; extension?: Array<{ url: string }> }> };
    const extension = (revoked.extension ?? []).map((e) => ({
      ...e,
      extension: (e.extension ?? []).filter((x) => x.url !== 'revokedAt'),
    }));
    const issues = (validator.validate({ ...revoked, extension } as Resource).issue ?? []).filter(
      (i) => i.severity === 'error',
    );
    expect(issues.length).toBeGreaterThan(0);
  });
});
