import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue } from '../fhir/outcomes';
import type { IntegrationUpdate } from './records';
import { recordSchema } from './schema-check';
import { checkDate, checkInstant, checkName, checkNpi, checkPlainText } from './rule-helpers';

/** Options of the update rules. */
export interface UpdateRuleOptions {
  /**
   * The most characters one section may have (focus, each observation, each suggestion, and the
   * suggestions joined). Updates are concise summaries, never psychotherapy notes (HIPAA
   * 45 CFR 164.501), so longer text is refused, not truncated. Default 1,200; at most
   * {@link SECTION_LENGTH_CAP}.
   */
  maxSectionLength?: number;
}

export const DEFAULT_MAX_SECTION_LENGTH = 1200;

/**
 * The integration-update schema's `maxLength` on every section: an outer cap, checked before any
 * pattern reads the text (DESIGN.md §8), so the configurable bound may not exceed it — a larger
 * bound would let the schema refuse, with another message, what the configuration allows.
 */
export const SECTION_LENGTH_CAP: number = sectionCapOf(recordSchema('integration-update'));

function sectionCapOf(schema: object): number {
  const cap = (schema as { properties?: { focus?: { maxLength?: unknown } } }).properties?.focus?.maxLength;
  if (typeof cap !== 'number') throw new Error('integration-update schema: focus has no maxLength');
  return cap;
}

const OBSERVATION_KEYS = ['emotional', 'cognitive', 'sensory'] as const;

/** Rules on a schema-valid integration update (DESIGN.md §2). */
export function checkUpdateRules(
  u: IntegrationUpdate,
  opts: UpdateRuleOptions = {},
): OperationOutcomeIssue[] {
  const max = opts.maxSectionLength ?? DEFAULT_MAX_SECTION_LENGTH;
  const out: OperationOutcomeIssue[] = [
    ...checkDate(u.sessionDate, 'sessionDate'),
    ...checkInstant(u.writtenAt, 'writtenAt'),
    ...checkNpi(u.author.npi, 'author.npi'),
    ...checkName(u.author.name, 'author.name'),
  ];
  if (u.writtenAt.slice(0, 10) < u.sessionDate) {
    out.push(
      issue({ code: 'invariant', expression: 'writtenAt', text: 'writtenAt is before the session date' }),
    );
  }
  const sections: Array<[string, string | undefined]> = [
    ['focus', u.focus],
    ...OBSERVATION_KEYS.map((k): [string, string | undefined] => [`observations.${k}`, u.observations?.[k]]),
    ...(u.suggestions ?? []).map((s, i): [string, string] => [`suggestions[${i}]`, s]),
  ];
  for (const [path, text] of sections) out.push(...checkSection(text, path, max));
  // The joined bound is reported only when no single suggestion already broke it.
  const joined = (u.suggestions ?? []).join('\n');
  if (joined.length > max && !(u.suggestions ?? []).some((s) => s.length > max)) {
    out.push(tooLong('suggestions', joined.length, max));
  }
  if (!OBSERVATION_KEYS.some((k) => u.observations?.[k] !== undefined)) {
    out.push(
      issue({
        code: 'required',
        expression: 'observations',
        text: 'at least one observation (emotional, cognitive or sensory) is required',
      }),
    );
  }
  return out;
}

// Length before pattern (DESIGN.md §8): text over the bound is refused for its length alone, and
// the markup patterns never read it.
function checkSection(text: string | undefined, path: string, max: number): OperationOutcomeIssue[] {
  if (text === undefined) return [];
  return text.length > max ? [tooLong(path, text.length, max)] : checkPlainText(text, path);
}

function tooLong(path: string, length: number, max: number): OperationOutcomeIssue {
  return issue({
    code: 'business-rule',
    expression: path,
    text: `${path} has ${length} characters, more than the ${max} allowed: updates are concise summaries, not session notes`,
  });
}
