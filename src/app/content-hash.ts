import { createHash } from 'node:crypto';

/**
 * SHA-256 of a JSON value in canonical form (object keys sorted, no whitespace), so the same
 * record posted with its keys in another order is still recognised as unchanged.
 */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/**
 * JSON with object keys sorted at every level (keys compared by UTF-16 code units, `undefined`
 * members left out). Stored content hashes depend on this exact text, so it never changes; it is
 * built in one pass over the keys rather than through `Object.entries`/`filter`/`map`/`join`
 * arrays, which were most of its cost (issue 12: it runs on every record and every stored resource).
 */
export function canonicalJson(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      // An element with no JSON text (undefined, a function) joins as nothing, as `join` had it.
      const text = canonicalJson(value[i] as unknown) as string | undefined;
      out += text ?? '';
    }
    return `${out}]`;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let out = '{';
  for (const key of keys) {
    const member = obj[key];
    if (member === undefined) continue;
    if (out.length > 1) out += ',';
    out += `${JSON.stringify(key)}:${canonicalJson(member)}`;
  }
  return `${out}}`;
}
