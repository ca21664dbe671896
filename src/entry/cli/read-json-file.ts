import { readFileSync } from 'node:fs';
import { describeJsonFailure, parseJsonBytes } from '../../fhir/json';

/**
 * Every JSON file the CLI reads goes through the one strict parser (`fhir/json.ts`, DESIGN.md §8
 * "Trust at the edge"): read as bytes, so invalid UTF-8 is refused rather than turned into U+FFFD,
 * and duplicate keys or nesting deeper than 100 levels are refused like any malformed JSON. The
 * commands map `unreadable` to exit 2 (a path that cannot be read) and `invalid` to exit 1.
 */
export type JsonFileRead =
  | { ok: true; value: unknown }
  | { ok: false; problem: 'unreadable'; code: string }
  | { ok: false; problem: 'invalid'; message: string };

/** Reads and strictly parses `path`; the message of an invalid file says why and where, not what. */
export function readJsonFile(path: string): JsonFileRead {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    return { ok: false, problem: 'unreadable', code: (err as NodeJS.ErrnoException).code ?? 'unreadable' };
  }
  const parsed = parseJsonBytes(bytes);
  if (parsed.ok) return { ok: true, value: parsed.value };
  return { ok: false, problem: 'invalid', message: describeJsonFailure(parsed) };
}
