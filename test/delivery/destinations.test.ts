import fs from 'node:fs';
import path from 'node:path';
import { createDestinationRegistry, parseDestinations } from '../../src/adapters/destination/destinations';
import { FIXTURES } from './helpers';

interface Case {
  name: string;
  input: unknown;
  expect?: Array<Record<string, unknown>>;
  errors?: Array<{ expression: string; text: string }>;
}

const cases = JSON.parse(
  fs.readFileSync(path.join(FIXTURES, 'destinations/parse-cases.json'), 'utf8'),
) as Case[];

describe('destinations file parser', () => {
  test.each(cases.filter((c) => c.expect).map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = parseDestinations(c.input);
    if (!result.ok) throw new Error(JSON.stringify(result.outcome, null, 1));
    expect(result.destinations).toHaveLength(c.expect!.length);
    c.expect!.forEach((e, i) => expect(result.destinations[i]).toMatchObject(e));
  });

  test.each(cases.filter((c) => c.errors).map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = parseDestinations(c.input);
    if (result.ok) throw new Error('expected a refusal');
    const issues = result.outcome.issue ?? [];
    expect(issues).toHaveLength(c.errors!.length);
    for (const want of c.errors!) {
      const hit = issues.find((i) => i.expression?.[0] === want.expression);
      expect(hit?.details?.text).toContain(want.text);
      expect(hit?.severity).toBe('error');
    }
  });
});

describe('destination registry', () => {
  test('a registered id is found, an unknown id is not', () => {
    const parsed = parseDestinations([
      { id: 'lakeside-ehr', baseUrl: 'https://fhir.lakeside.example/r4', auth: { type: 'none' } },
    ]);
    if (!parsed.ok) throw new Error('unexpected');
    const registry = createDestinationRegistry(parsed.destinations);
    expect(registry.getDestination('lakeside-ehr')?.baseUrl).toBe('https://fhir.lakeside.example/r4');
    expect(registry.getDestination('unknown')).toBeUndefined();
    expect(registry.list()).toHaveLength(1);
  });
});
