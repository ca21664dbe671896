import { createHash, timingSafeEqual } from 'node:crypto';
import { isValidNpi } from '../../domain/npi';
import { SCOPES, type Scope } from './scopes';

/**
 * API keys (DESIGN.md §8): `[{ "name", "key" | "sha256", "scopes", "senders"? }]`. Only SHA-256 digests are
 * kept in memory; a presented key is hashed and compared with `timingSafeEqual` against every
 * entry, without stopping at a match, so neither content nor position leaks through timing.
 */

/** An organisation identifier a key may send referrals for (e.g. NPI `http://hl7.org/fhir/sid/us-npi`). */
export interface SenderIdentifier {
  system: string;
  value: string;
}

/** The identity behind a valid key. */
export interface ApiKeyIdentity {
  name: string;
  scopes: readonly Scope[];
  /**
   * The sender organisations the key speaks for (DESIGN.md §8 "Trust at the edge"): an inbound
   * referral from any other organisation is refused. Absent: the key is not bound to a sender.
   */
  senders?: readonly SenderIdentifier[];
}

/** Looks up the identity of a presented bearer key. */
export interface ApiKeyRegistry {
  authenticate(presented: string): ApiKeyIdentity | undefined;
  /** Number of keys (for the start-up log; never the keys). */
  readonly size: number;
}

/** Thrown when a keys file is not what DESIGN.md §8 describes; the message says where. */
export class ApiKeyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiKeyConfigError';
  }
}

interface KeyEntry extends ApiKeyIdentity {
  digest: Buffer;
}

/** Shortest accepted plain key: below this a key can be guessed (a generated key has 43). */
export const MIN_KEY_LENGTH = 16;

/** SHA-256 of a key, hex-encoded: the form to put in a keys file as `"sha256"`. */
export function sha256Hex(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Parses the parsed JSON of a keys file; `source` names it in error messages. */
export function parseApiKeys(json: unknown, source = 'API keys file'): ApiKeyRegistry {
  if (!Array.isArray(json) || json.length === 0) {
    throw new ApiKeyConfigError(
      `${source}: expected a non-empty JSON array of { name, key | sha256, scopes }.`,
    );
  }
  const entries = json.map((raw, i) => parseEntry(raw, `${source}[${i}]`));
  assertUnique(
    entries.map((e) => e.name),
    source,
    'name',
  );
  assertUnique(
    entries.map((e) => e.digest.toString('hex')),
    source,
    'key',
  );
  return registryOf(entries);
}

function parseEntry(raw: unknown, at: string): KeyEntry {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ApiKeyConfigError(`${at}: expected an object.`);
  }
  const entry = raw as Record<string, unknown>;
  const fields = ['name', 'key', 'sha256', 'scopes', 'senders'];
  const unknown = Object.keys(entry).filter((k) => !fields.includes(k));
  if (unknown.length > 0) throw new ApiKeyConfigError(`${at}: unknown field(s) ${unknown.join(', ')}.`);
  const { name, key, sha256, scopes, senders } = entry;
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
    throw new ApiKeyConfigError(`${at}.name: expected 1–64 letters, digits, '.', '_' or '-'.`);
  }
  return {
    name,
    digest: parseSecret(key, sha256, at),
    scopes: parseScopes(scopes, `${at}.scopes`),
    ...(senders === undefined ? {} : { senders: parseSenders(senders, `${at}.senders`) }),
  };
}

const NPI_SYSTEM = 'http://hl7.org/fhir/sid/us-npi';
// An absolute URI (RFC 3986 scheme, then no spaces), as FHIR Identifier.system needs.
const URI = /^[A-Za-z][A-Za-z0-9+.-]{0,31}:\S{1,250}$/;
// FHIR string without control characters or surrounding spaces (Identifier.value).
const VALUE = /^[^\s\p{Cc}](?:\P{Cc}{0,126}[^\s\p{Cc}])?$/u;

/** `senders`: a non-empty array of `{ system, value }` organisation identifiers. */
function parseSenders(senders: unknown, at: string): SenderIdentifier[] {
  if (!Array.isArray(senders) || senders.length === 0) {
    throw new ApiKeyConfigError(`${at}: expected a non-empty array of { system, value } identifiers.`);
  }
  return senders.map((raw, i) => {
    const here = `${at}[${i}]`;
    const s = (typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : {}) as Record<
      string,
      unknown
    >;
    const extra = Object.keys(s).filter((k) => k !== 'system' && k !== 'value');
    if (raw !== s || extra.length > 0) {
      throw new ApiKeyConfigError(`${here}: expected { "system": URI, "value": string } and nothing else.`);
    }
    if (typeof s.system !== 'string' || !URI.test(s.system)) {
      throw new ApiKeyConfigError(`${here}.system: expected an absolute URI (e.g. ${NPI_SYSTEM}).`);
    }
    if (typeof s.value !== 'string' || !VALUE.test(s.value)) {
      throw new ApiKeyConfigError(`${here}.value: expected 1–128 characters without control characters.`);
    }
    if (s.system === NPI_SYSTEM && !isValidNpi(s.value)) {
      throw new ApiKeyConfigError(
        `${here}.value: "${s.value}" is not an NPI (10 digits passing the check digit).`,
      );
    }
    return { system: s.system, value: s.value };
  });
}

function parseSecret(key: unknown, sha256: unknown, at: string): Buffer {
  if ((key === undefined) === (sha256 === undefined)) {
    throw new ApiKeyConfigError(`${at}: give exactly one of "key" or "sha256".`);
  }
  if (key !== undefined) {
    if (typeof key !== 'string' || key.length < MIN_KEY_LENGTH) {
      throw new ApiKeyConfigError(`${at}.key: expected a string of at least ${MIN_KEY_LENGTH} characters.`);
    }
    return Buffer.from(sha256Hex(key), 'hex');
  }
  if (typeof sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(sha256)) {
    throw new ApiKeyConfigError(`${at}.sha256: expected 64 hexadecimal characters (SHA-256 of the key).`);
  }
  return Buffer.from(sha256, 'hex');
}

function parseScopes(scopes: unknown, at: string): Scope[] {
  if (!Array.isArray(scopes) || scopes.length === 0) {
    throw new ApiKeyConfigError(`${at}: expected a non-empty array of ${SCOPES.join(', ')}.`);
  }
  return scopes.map((s, i) => {
    if (!SCOPES.includes(s as Scope)) {
      throw new ApiKeyConfigError(`${at}[${i}]: unknown scope; expected one of ${SCOPES.join(', ')}.`);
    }
    return s as Scope;
  });
}

function assertUnique(values: string[], source: string, what: string): void {
  const seen = new Set<string>();
  values.forEach((v, i) => {
    if (seen.has(v)) throw new ApiKeyConfigError(`${source}[${i}]: duplicate ${what}.`);
    seen.add(v);
  });
}

function registryOf(entries: KeyEntry[]): ApiKeyRegistry {
  return {
    size: entries.length,
    authenticate(presented: string): ApiKeyIdentity | undefined {
      const digest = createHash('sha256').update(presented, 'utf8').digest();
      let found: KeyEntry | undefined;
      for (const entry of entries) {
        // Compare with every entry (no early exit): the time taken does not depend on which matched.
        if (timingSafeEqual(entry.digest, digest) && !found) found = entry;
      }
      if (!found) return undefined;
      const { name, scopes, senders } = found;
      return senders ? { name, scopes, senders } : { name, scopes };
    },
  };
}
