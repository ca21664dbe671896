import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { PROFILE } from '../../src/fhir/canonical';
import { loadProjectProfiles } from '../../src/adapters/fhir-packages/load-package';
import { createValidator } from '../../src/fhir/validator';

interface BaseCase {
  name: string;
  profile: keyof typeof PROFILE;
  resource: Resource;
}

interface NestedCase {
  name: string;
  base: string;
  set?: Record<string, unknown>;
  remove?: string[];
  copy?: Record<string, string>;
  valid: boolean;
  expression?: string;
}

const fixtures = join(__dirname, '..', '..', 'fixtures');
const bases = JSON.parse(
  readFileSync(join(fixtures, 'profiles', 'profile-cases.json'), 'utf8'),
) as BaseCase[];
const cases = (
  JSON.parse(readFileSync(join(fixtures, 'validator', 'nested-profile-cases.json'), 'utf8')) as {
    cases: NestedCase[];
  }
).cases;

/** `a.b[1].c` → ['a', 'b', 1, 'c']. */
function steps(path: string): (string | number)[] {
  return path.split(/\.|(?=\[)/).map((s) => (s.startsWith('[') ? Number(s.slice(1, -1)) : s));
}

/** The container of the last step (created as needed) and that step. */
function locate(root: unknown, path: string): [Record<string | number, unknown>, string | number] {
  const all = steps(path);
  let node = root as Record<string | number, unknown>;
  all.slice(0, -1).forEach((step, i) => {
    node[step] ??= typeof all[i + 1] === 'number' ? [] : {};
    node = node[step] as Record<string | number, unknown>;
  });
  return [node, all[all.length - 1] as string | number];
}

function edited(c: NestedCase): { resource: Resource; profile: string } {
  const base = bases.find((b) => b.name === c.base);
  if (!base) throw new Error(`No base case named '${c.base}'`);
  const resource = structuredClone(base.resource);
  for (const [to, from] of Object.entries(c.copy ?? {})) {
    const [src, key] = locate(resource, from);
    const [dst, at] = locate(resource, to);
    dst[at] = structuredClone(src[key]);
  }
  for (const [path, value] of Object.entries(c.set ?? {})) {
    const [node, key] = locate(resource, path);
    node[key] = value;
  }
  for (const path of c.remove ?? []) {
    const [node, key] = locate(resource, path);
    delete node[key];
  }
  return { resource, profile: PROFILE[base.profile] };
}

describe('profile rules on nested elements are enforced (kap profiles)', () => {
  const validator = createValidator({ packages: loadProjectProfiles() });

  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { resource, profile } = edited(c);
    const errors = (validator.validate(resource, { profile }).issue ?? [])
      .filter((i) => i.severity === 'error' || i.severity === 'fatal')
      .map((i) => `${i.expression?.join(',') ?? ''}: ${i.details?.text ?? ''}`);
    if (c.valid) expect(errors).toEqual([]);
    else expect(errors.filter((e) => e.startsWith(c.expression ?? ''))).not.toEqual([]);
  });
});
