import type { OperationOutcome } from '@medplum/fhirtypes';
import { boundEvidence, cutToJsonBytes, MAX_EVIDENCE_BYTES } from '../../src/outbox/evidence';

/** The bound on what a destination answered (DESIGN.md §6: error bodies kept truncated, ≤ 8 KB). */

const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v), 'utf8');
const outcomeOf = (...texts: string[]): OperationOutcome => ({
  resourceType: 'OperationOutcome',
  issue: texts.map((t) => ({ severity: 'error', code: 'invalid', diagnostics: t })),
});

describe('boundEvidence', () => {
  test('an outcome that fits is kept as it is', () => {
    const small = outcomeOf('HTTP 400: identifier missing');
    expect(boundEvidence(small)).toBe(small);
  });

  test.each([
    ['ASCII', 'a'.repeat(3_000_000)],
    ['two-byte characters', 'é'.repeat(1_000_000)],
    ['emoji (surrogate pairs)', '😀'.repeat(500_000)],
    ['characters JSON escapes six-fold', '\u0001'.repeat(1_000_000)],
  ])('%s: at most 8 KB of UTF-8 JSON, valid strings, a marker with the original size', (_name, text) => {
    const big = outcomeOf(text, text);
    const bounded = boundEvidence(big);
    expect(bytes(bounded)).toBeLessThanOrEqual(MAX_EVIDENCE_BYTES);
    const kept = bounded.issue[0]?.details?.text ?? '';
    expect(kept.length).toBeGreaterThan(1000);
    expect(kept.endsWith('…')).toBe(true);
    expect(Buffer.from(kept, 'utf8').toString('utf8')).toBe(kept); // no lone surrogate
    expect(bounded.issue.at(-1)).toMatchObject({ code: 'too-long', severity: 'information' });
    expect(bounded.issue.at(-1)?.details?.text).toContain(`the outcome was ${bytes(big)} bytes`);
    expect(bounded.issue.at(-1)?.details?.text).toContain('1 issue(s) left out');
  });
});

describe('cutToJsonBytes', () => {
  test('a cut never splits a surrogate pair', () => {
    for (let max = 4; max < 20; max++) {
      const cut = cutToJsonBytes('😀😀😀😀😀😀😀😀', max);
      expect(cut).toMatch(/^(😀)*…$/u);
      expect(Buffer.byteLength(cut, 'utf8')).toBeLessThanOrEqual(max);
    }
  });
});
