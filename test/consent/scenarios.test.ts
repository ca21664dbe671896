import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { validateResource } from '@medplum/core';
import type { Coding, Consent } from '@medplum/fhirtypes';
import { decideDisclosure, parseDisclosureRequest, type DecisionKind } from '../../src/consent';
import { indexR4Definitions } from './r4-definitions';

interface Scenario {
  description: string;
  now: string;
  timeZone?: string;
  consents: Consent[];
  request: unknown;
  expected: { decision: DecisionKind; consent: string | null; permitted: Coding[]; denied: Coding[] };
  /** The exact sentences of the decision's explanation (DESIGN.md §5), asserted word for word. */
  explanation: string[];
}

const dir = path.join(__dirname, '../../fixtures/consent-scenarios');
const scenarios: Array<[string, Scenario]> = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Scenario]);

beforeAll(() => indexR4Definitions());

describe('consent decision scenarios (fixtures/consent-scenarios)', () => {
  test('the table holds at least 30 named situations', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(30);
  });

  test.each(scenarios)('%s: the decision matches the expected one', (_name, s) => {
    const parsed = parseDisclosureRequest(s.request);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.outcome));
    const decision = decideDisclosure(s.consents, parsed.value, new Date(s.now), { timeZone: s.timeZone });
    expect({
      decision: decision.decision,
      consent: decision.consent,
      permitted: decision.permitted,
      denied: decision.denied,
    }).toEqual(s.expected);
  });

  test.each(scenarios)('%s: the explanation reads exactly as the scenario states', (_name, s) => {
    // A scenario without an expected explanation fails here rather than being skipped.
    expect(Array.isArray(s.explanation) && s.explanation.length > 0).toBe(true);
    const parsed = parseDisclosureRequest(s.request);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.outcome));
    const decision = decideDisclosure(s.consents, parsed.value, new Date(s.now), { timeZone: s.timeZone });
    expect(decision.explanation).toEqual(s.explanation);
  });

  test.each(scenarios)('%s: every Consent in it is valid R4', (_name, s) => {
    for (const consent of s.consents) expect(() => validateResource(consent)).not.toThrow();
  });
});
