import fs from 'node:fs';
import path from 'node:path';
import { OUTBOX_STATES } from '../../src/outbox';

/**
 * The outbox states have one home, src/outbox (DESIGN.md §6, STYLE "a rule lives in one place"):
 * outside it no code names a state as a string where it means a state — a patch, a comparison, an
 * SQL predicate, a set. Words that are also other vocabularies (`delivered` as an audit result,
 * `withheld` as a consent plan) are fine outside a state position.
 */

const SRC = path.join(__dirname, '..', '..', 'src');

/** Left alone: the pure module itself, and migrations, which are history and must not change. */
const EXEMPT = [
  path.join(SRC, 'outbox') + path.sep,
  path.join(SRC, 'adapters', 'store', 'migrations') + path.sep,
];

const ANY_STATE = `'(?:${OUTBOX_STATES.join('|')})'`;
const PATTERNS: Array<[string, RegExp]> = [
  // Words that are states and nothing else.
  ['a state-only word', /'(?:retry-wait|in-flight)'/],
  // `state: 'queued'`, `row.state === 'dead'`, `state = 'in-flight'` or `state IN ('queued'` in SQL.
  ['a state in a state position', new RegExp(`\\bstate\\b[^;\\n]{0,40}${ANY_STATE}`)],
  // `['awaiting-consent', 'queued', …]`: a state set written out.
  ['a set of states', new RegExp(`\\[\\s*${ANY_STATE}\\s*,\\s*${ANY_STATE}`)],
];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

/** `file:line: what` for every state literal outside the outbox module. */
export function stateLiteralsUnder(root: string): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(root)) {
    if (EXEMPT.some((dir) => file.startsWith(dir))) continue;
    fs.readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        for (const [what, re] of PATTERNS)
          if (re.test(line)) found.push(`${path.relative(SRC, file)}:${i + 1}: ${what}`);
      });
  }
  return found;
}

describe('outbox state literals', () => {
  test('outside src/outbox no source names an outbox state as a string literal', () => {
    expect(stateLiteralsUnder(SRC)).toEqual([]);
  });

  test.each([
    ["    patch: { state: 'withheld', nextAttemptAt: null },", 'a state in a state position'],
    ["const REPLACEABLE = ['awaiting-consent', 'queued'];", 'a set of states'],
    ["WHERE state IN ('queued', 'retry-wait')", 'a state-only word'],
  ])('the scan recognises %s as %s', (line, what) => {
    expect(PATTERNS.filter(([, re]) => re.test(line)).map(([w]) => w)).toContain(what);
  });

  test.each([
    ["return { kind: 'withheld', consentRef };"],
    ["result: 'delivered',"],
    ["if (decision.kind === 'dead') return;"],
  ])('the scan leaves other vocabularies alone: %s', (line) => {
    expect(PATTERNS.filter(([, re]) => re.test(line))).toEqual([]);
  });
});
