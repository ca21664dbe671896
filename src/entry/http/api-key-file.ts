import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiKeyConfigError, parseApiKeys, sha256Hex, type ApiKeyRegistry } from './api-keys';
import { SCOPES } from './scopes';

/**
 * The keys file on disk: loading `KAP_BRIDGE_API_KEYS`, and the local key `serve` generates
 * when none is configured (DESIGN.md §8). Called by the composition root, never by handlers.
 */

/** Name of the generated key in the audit trail. */
export const LOCAL_KEY_NAME = 'local-admin';
/** File name of the generated keys file inside the data folder. */
export const LOCAL_KEY_FILE = 'api-keys.json';

/** Reads and parses a keys file; a group- or world-readable file is reported in `warnings`. */
export function loadApiKeyFile(path: string): { registry: ApiKeyRegistry; warnings: string[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ApiKeyConfigError(`KAP_BRIDGE_API_KEYS: cannot read ${path} (${code}).`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The parser's message quotes the file, i.e. a key: say where it is instead.
    throw new ApiKeyConfigError(`KAP_BRIDGE_API_KEYS: ${path} is not valid JSON.`);
  }
  const warnings: string[] = [];
  if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) {
    warnings.push(`${path} is readable by other users; chmod 600 it.`);
  }
  return { registry: parseApiKeys(json, path), warnings };
}

/** The generated key file: where it is, and the key when it is shown for the last time. */
export interface LocalApiKey {
  path: string;
  /**
   * The key itself, present only on the start that creates the file (or that converts a plain-text
   * file from an older version): the file keeps its SHA-256 only, so no later start can show it.
   */
  key?: string;
  created: boolean;
  /** True when an older file held the key in plain text and was rewritten to its SHA-256. */
  migrated?: boolean;
}

/**
 * Makes sure `dataDir` holds a keys file for local use: creates the folder (0700) and a file
 * (0600) with one random key holding every scope, stored as its SHA-256 only (DESIGN.md §8: the
 * generated key is printed once, when it is created). An existing file is kept; one written by an
 * older version, holding the local key in plain text, is rewritten to the key's SHA-256.
 */
export function ensureLocalApiKey(dataDir: string): LocalApiKey {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700); // mkdir's mode is masked by umask, and an existing folder keeps its own
  const path = join(dataDir, LOCAL_KEY_FILE);
  if (existsSync(path)) return hashPlainLocalKey(path);
  const key = randomBytes(32).toString('base64url');
  const content = [{ name: LOCAL_KEY_NAME, sha256: sha256Hex(key), scopes: [...SCOPES] }];
  // 'wx': never overwrite a file another process created in the meantime.
  writeFileSync(path, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { key, path, created: true };
}

/**
 * An older version stored the generated key in plain text and printed it at every start. Such a
 * file is rewritten in place to the key's SHA-256 (same key, same name and scopes, so every client
 * keeps working): leaving it would keep a usable secret on disk forever. The key is returned so
 * that this one start can show it a last time.
 */
function hashPlainLocalKey(path: string): LocalApiKey {
  loadApiKeyFile(path); // throws a clear error when the file was edited into something invalid
  const entries = JSON.parse(readFileSync(path, 'utf8')) as Array<Record<string, unknown>>;
  const local = entries.find((e) => e.name === LOCAL_KEY_NAME);
  const key = local?.key;
  if (typeof key !== 'string') return { path, created: false };
  const rewritten = entries.map((e) => (e === local ? withDigest(e, key) : e));
  // Write beside, then rename: a crash leaves either the old file or the new one, never half of one.
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(rewritten, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(temp, 0o600);
  renameSync(temp, path);
  return { path, key, created: false, migrated: true };
}

/** The entry with `"key"` replaced by `"sha256"` in the same place; other fields kept as they are. */
function withDigest(entry: Record<string, unknown>, key: string): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(entry).map(([field, value]) =>
      field === 'key' ? ['sha256', sha256Hex(key)] : [field, value],
    ),
  );
}
