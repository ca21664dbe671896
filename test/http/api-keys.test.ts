import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ensureLocalApiKey,
  loadApiKeyFile,
  LOCAL_KEY_FILE,
  LOCAL_KEY_NAME,
} from '../../src/entry/http/api-key-file';
import { ApiKeyConfigError, parseApiKeys, sha256Hex } from '../../src/entry/http/api-keys';
import cases from '../../fixtures/http/api-key-files.json';

describe('parseApiKeys', () => {
  test.each(cases.invalid)('a keys file with $name is refused, saying where', ({ json, message }) => {
    expect(() => parseApiKeys(json, 'keys.json')).toThrow(ApiKeyConfigError);
    expect(() => parseApiKeys(json, 'keys.json')).toThrow(message);
  });

  test('a key given as "key" or as its "sha256" authenticates to its name and scopes; others do not', () => {
    const registry = parseApiKeys([
      { name: 'practice-ehr', key: 'plain-key-0123456789', scopes: ['ingest', 'validate'] },
      { name: 'auditor', sha256: sha256Hex('hashed-key-0123456789').toUpperCase(), scopes: ['audit'] },
    ]);
    expect(registry.size).toBe(2);
    expect(registry.authenticate('plain-key-0123456789')).toEqual({
      name: 'practice-ehr',
      scopes: ['ingest', 'validate'],
    });
    expect(registry.authenticate('hashed-key-0123456789')).toEqual({ name: 'auditor', scopes: ['audit'] });
    expect(registry.authenticate('plain-key-012345678')).toBeUndefined();
    expect(registry.authenticate('')).toBeUndefined();
  });
});

describe('keys bound to sender organisations', () => {
  test('a key with "senders" authenticates with them; a key without stays unbound', () => {
    const senders = [
      { system: 'http://hl7.org/fhir/sid/us-npi', value: '1497758544' },
      { system: 'urn:oid:2.16.840.1.113883.19.5', value: 'lakeside' },
    ];
    const registry = parseApiKeys([
      { name: 'lakeside-ehr', key: 'lakeside-key-0123456789', scopes: ['ingest'], senders },
      { name: 'practice-ehr', key: 'plain-key-0123456789', scopes: ['ingest'] },
    ]);
    expect(registry.authenticate('lakeside-key-0123456789')).toEqual({
      name: 'lakeside-ehr',
      scopes: ['ingest'],
      senders,
    });
    expect(registry.authenticate('plain-key-0123456789')).not.toHaveProperty('senders');
  });
});

describe('key files on disk', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kap-keys-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('ensureLocalApiKey creates a 0700 folder and a 0600 file whose key holds every scope', () => {
    const dataDir = join(dir, 'data');
    const local = ensureLocalApiKey(dataDir);
    expect(local.created).toBe(true);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(local.path).mode & 0o777).toBe(0o600);
    expect(local.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const { registry, warnings } = loadApiKeyFile(local.path);
    expect(warnings).toEqual([]);
    expect(registry.authenticate(local.key!)).toEqual({
      name: LOCAL_KEY_NAME,
      scopes: ['ingest', 'validate', 'ops', 'audit'],
    });
  });

  test('the generated keys file holds only the SHA-256 of the key, never the key', () => {
    const local = ensureLocalApiKey(dir);
    const text = readFileSync(local.path, 'utf8');
    expect(JSON.parse(text)).toEqual([
      { name: LOCAL_KEY_NAME, sha256: sha256Hex(local.key!), scopes: ['ingest', 'validate', 'ops', 'audit'] },
    ]);
    expect(text).not.toContain(local.key!);
  });

  test('ensureLocalApiKey run again keeps the file untouched and no longer returns the key, which still authenticates', () => {
    const first = ensureLocalApiKey(dir);
    const content = readFileSync(first.path, 'utf8');
    const second = ensureLocalApiKey(dir);
    expect(second).toEqual({ path: first.path, created: false });
    expect(readFileSync(first.path, 'utf8')).toBe(content);
    expect(loadApiKeyFile(second.path).registry.authenticate(first.key!)?.name).toBe(LOCAL_KEY_NAME);
  });

  test('a plain-text local key file from an older version is rewritten to its SHA-256 (0600, other fields kept) and the same key still authenticates', () => {
    const path = join(dir, LOCAL_KEY_FILE);
    const key = 'older-version-plain-key-0123456789abcdef';
    const other = { name: 'added-by-hand', sha256: sha256Hex('another-key-0123456789'), scopes: ['ops'] };
    writeFileSync(path, JSON.stringify([{ name: LOCAL_KEY_NAME, key, scopes: ['ingest', 'ops'] }, other]), {
      mode: 0o600,
    });
    const local = ensureLocalApiKey(dir);
    expect(local).toEqual({ path, key, created: false, migrated: true });
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain(key);
    expect(JSON.parse(text)).toEqual([
      { name: LOCAL_KEY_NAME, sha256: sha256Hex(key), scopes: ['ingest', 'ops'] },
      other,
    ]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(loadApiKeyFile(path).registry.authenticate(key)).toEqual({
      name: LOCAL_KEY_NAME,
      scopes: ['ingest', 'ops'],
    });
    expect(ensureLocalApiKey(dir)).toEqual({ path, created: false });
  });

  test('a keys file readable by others loads with a warning', () => {
    const path = join(dir, 'keys.json');
    writeFileSync(path, JSON.stringify([{ name: 'a', key: '0123456789abcdef0', scopes: ['ops'] }]), {
      mode: 0o644,
    });
    expect(loadApiKeyFile(path).warnings[0]).toContain('readable by other users');
  });

  test('a keys file that is not JSON is refused without quoting its content', () => {
    const path = join(dir, 'keys.json');
    writeFileSync(path, '[{ "name": "a", "key": "super-secret-key-1234" ', { mode: 0o600 });
    expect(() => loadApiKeyFile(path)).toThrow(`${path} is not valid JSON`);
    try {
      loadApiKeyFile(path);
    } catch (err) {
      expect((err as Error).message).not.toContain('super-secret');
    }
  });

  test('a missing keys file is refused naming the path', () => {
    expect(() => loadApiKeyFile(join(dir, 'nope.json'))).toThrow(/cannot read .*nope\.json \(ENOENT\)/);
  });
});
