import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { loadProjectProfiles } from '../../src/adapters/fhir-packages/load-package';
import { createValidator } from '../../src/fhir/validator';

interface DeclaredProfileCase {
  name: string;
  resource: Record<string, unknown>;
  /** Load the kap profiles package (otherwise only R4). */
  projectProfiles?: boolean;
  /** The meta.profile claims reported as not checked, and a text each warning must contain. */
  unchecked: { expression: string; mentions: string }[];
  errors: boolean;
  errorMentions?: string;
}

const file = join(__dirname, '..', '..', 'fixtures', 'validator', 'declared-profile-cases.json');
const cases = (JSON.parse(readFileSync(file, 'utf8')) as { cases: DeclaredProfileCase[] }).cases;
const baseOnly = createValidator();
const withProject = createValidator({ packages: loadProjectProfiles() });

const isError = (i: OperationOutcomeIssue): boolean => i.severity === 'error' || i.severity === 'fatal';
const isClaim = (i: OperationOutcomeIssue): boolean =>
  (i.expression ?? []).some((e) => /\.meta\.profile\[\d+\]$/.test(e));

describe('meta.profile claims', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const validator = c.projectProfiles ? withProject : baseOnly;
    const issues = validator.validate(c.resource).issue ?? [];
    const claims = issues.filter(isClaim);
    expect(claims.map((i) => i.expression?.[0])).toEqual(c.unchecked.map((u) => u.expression));
    c.unchecked.forEach((u, n) => {
      expect(claims[n]).toMatchObject({ severity: 'warning', code: 'structure' });
      expect(claims[n]?.details?.text).toContain(u.mentions);
    });
    const errors = issues.filter(isError);
    expect(errors.length > 0).toBe(c.errors);
    if (c.errorMentions)
      expect(errors.some((e) => e.details?.text?.includes(c.errorMentions ?? ''))).toBe(true);
  });
});
