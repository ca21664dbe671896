import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiKeyConfigError, parseApiKeys, type ApiKeyRegistry } from './api-keys';
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

/** The generated key file: where it is, the key (for `serve` to print), whether it is new. */
export interface LocalApiKey {
  path: string;
  /** Absent only when an existing file no longer holds the generated key in plain form. */
  key?: string;
  created: boolean;
}

/**
 * Makes sure `dataDir` holds a keys file for local use: creates the folder (0700) and a file
 * (0600) with one random key holding every scope, unless the file exists (then its key is read
 * back, so a restart can say again which key to use).
 */
export function ensureLocalApiKey(dataDir: string): LocalApiKey {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700); // mkdir's mode is masked by umask, and an existing folder keeps its own
  const path = join(dataDir, LOCAL_KEY_FILE);
  if (existsSync(path)) return { path, key: readLocalKey(path), created: false };
  const key = randomBytes(32).toString('base64url');
  const content = [{ name: LOCAL_KEY_NAME, key, scopes: [...SCOPES] }];
  // 'wx': never overwrite a file another process created in the meantime.
  writeFileSync(path, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { key, path, created: true };
}

function readLocalKey(path: string): string | undefined {
  loadApiKeyFile(path); // throws a clear error when the file was edited into something invalid
  const entries = JSON.parse(readFileSync(path, 'utf8')) as Array<{ name?: unknown; key?: unknown }>;
  const local = entries.find((e) => e.name === LOCAL_KEY_NAME);
  return typeof local?.key === 'string' ? local.key : undefined;
}
