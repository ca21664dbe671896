import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { loadProjectProfiles } from '../../src/adapters/fhir-packages/load-package';
import { createValidator } from '../../src/fhir/validator';

interface NestedResourceCase {
  name: string;
  /** Load the kap profiles package (otherwise only R4, whose own profiles include vitalsigns). */
  projectProfiles: boolean;
  resource: Record<string, unknown>;
  /** Every error expected, by expression, each with a text its message must contain. */
  errors: { expression: string; mentions: string }[];
}

const file = join(__dirname, '..', '..', 'fixtures', 'validator', 'nested-resource-profile-cases.json');
const cases = (JSON.parse(readFileSync(file, 'utf8')) as { cases: NestedResourceCase[] }).cases;
const baseOnly = createValidator();
const withProject = createValidator({ packages: loadProjectProfiles() });

const isError = (i: OperationOutcomeIssue): boolean => i.severity === 'error' || i.severity === 'fatal';

describe('profiles claimed by nested resources (Bundle entries, contained)', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const issues = (c.projectProfiles ? withProject : baseOnly).validate(c.resource).issue ?? [];
    const errors = issues.filter(isError);
    const expressions = (list: { expression?: string[] | string }[]): string[] =>
      list.map((i) => [i.expression ?? []].flat().join(',')).sort();
    expect(expressions(errors)).toEqual(expressions(c.errors));
    c.errors.forEach((want) => {
      const at = errors.filter((e) => e.expression?.[0] === want.expression);
      expect(at.some((e) => e.details?.text?.includes(want.mentions))).toBe(true);
    });
    // Claims nested resources make that cannot be checked stay silent (no warning per entry).
    expect(issues.filter((i) => i.details?.text?.includes('was not checked'))).toEqual([]);
  });
});
