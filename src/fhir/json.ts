import {
  MAX_JSON_DEPTH,
  parseStrictJson,
  type StrictJsonOptions,
  type StrictJsonResult,
} from './validator/strict-json';

/**
 * The one JSON parser at every boundary (DESIGN.md §8 "Trust at the edge"): HTTP bodies and every
 * file the CLI reads. Bytes must be UTF-8 (RFC 8259 §8.1; FHIR JSON is UTF-8,
 * https://hl7.org/fhir/R4/json.html) and are decoded with a fatal decoder, so invalid sequences
 * are refused instead of silently becoming U+FFFD; the text is then parsed by `parseStrictJson`
 * (duplicate keys refused, number lexemes kept, nesting bounded by `MAX_JSON_DEPTH`).
 */

export { MAX_JSON_DEPTH, parseStrictJson };
export type { NumberLexemes, StrictJsonResult } from './validator/strict-json';

/** A refusal from `parseJsonBytes` / `parseJsonText`: why, and where (1-based line and column). */
export type JsonFailure = Extract<StrictJsonResult, { ok: false }>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8 bytes (a leading byte order mark is dropped) and parses them strictly. */
export function parseJsonBytes(bytes: Uint8Array, options: StrictJsonOptions = {}): StrictJsonResult {
  const decoded = decodeUtf8(bytes);
  return decoded.ok ? parseStrictJson(decoded.text, options) : decoded;
}

/** Parses text strictly (the same rules as `parseJsonBytes` once the bytes are decoded). */
export function parseJsonText(text: string): StrictJsonResult {
  return parseStrictJson(text);
}

/** One line saying why and where the JSON was refused, e.g. for the CLI or an outcome. */
export function describeJsonFailure(failure: JsonFailure): string {
  return `${failure.message} at line ${failure.line}, column ${failure.column}`;
}

type Decoded = { ok: true; text: string } | JsonFailure;

function decodeUtf8(bytes: Uint8Array): Decoded {
  try {
    return { ok: true, text: utf8.decode(bytes) };
  } catch {
    return invalidUtf8At(bytes, validPrefixLength(bytes));
  }
}

/**
 * Length of the longest prefix that is valid UTF-8 up to a possibly cut last character: a
 * streaming decode accepts a prefix ending inside a character, so validity is monotonic in the
 * length and a binary search finds the first bad byte. Only run on a refusal.
 */
function validPrefixLength(bytes: Uint8Array): number {
  let lo = 0;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (decodesAsPrefix(bytes.subarray(0, mid))) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function decodesAsPrefix(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}

function invalidUtf8At(bytes: Uint8Array, validLength: number): JsonFailure {
  // The position is counted in characters of the valid text before the bad byte.
  const valid = new TextDecoder('utf-8').decode(bytes.subarray(0, validLength), { stream: true });
  const before = valid.split('\n');
  const last = before[before.length - 1] ?? '';
  return {
    ok: false,
    message: 'Invalid UTF-8 byte sequence',
    line: before.length,
    column: last.length + 1,
    offset: validLength,
  };
}
