import fs from 'node:fs';
import path from 'node:path';
import { canonicalJson, contentHash } from '../../src/app/content-hash';

/**
 * Stored records carry the hash of their canonical JSON: a re-post is `unchanged` only when the
 * text comes out the same, so the one-pass canonical form must give the very text the earlier
 * form gave (this reference) for every value, fixtures and odd cases alike.
 */
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const RECORDS = path.join(__dirname, '../../fixtures/records');

test('every fixture record gives the same canonical text as before', () => {
  const files = fs.readdirSync(RECORDS).filter((f) => f.endsWith('.json'));
  expect(files.length).toBeGreaterThan(5);
  for (const f of files) {
    const value: unknown = JSON.parse(fs.readFileSync(path.join(RECORDS, f), 'utf8'));
    expect(canonicalJson(value)).toBe(reference(value));
  }
});

test('odd values: undefined members, holes, unicode and numeric keys, nesting, primitives', () => {
  const sparse: unknown[] = [1];
  sparse[3] = 'x';
  const odd: unknown[] = [
    { b: 1, a: undefined, c: [undefined, null, () => 1], '10': 'ten', '9': 'nine', é: 'e', Z: 'z' },
    { nested: { y: [{ b: 2, a: 1 }], x: {} }, empty: [], f: () => 1 },
    sparse,
    [],
    {},
    'text "quoted" \u2028',
    0,
    -0,
    1.5e300,
    true,
    null,
    { date: new Date('2026-11-02T16:20:00Z') },
  ];
  for (const v of odd) expect(canonicalJson(v)).toBe(reference(v));
});

test('the hash does not depend on key order', () => {
  expect(contentHash({ a: 1, b: { c: 2, d: [3] } })).toBe(contentHash({ b: { d: [3], c: 2 }, a: 1 }));
  expect(contentHash({ a: 1 })).not.toBe(contentHash({ a: 2 }));
});
