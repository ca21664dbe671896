import { createPublicKey, verify } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateSigningKey, signClientAssertion } from '../../src/adapters/destination/auth';
import { importSigningKey } from '../../src/adapters/destination/auth/jws';
import { runJwks } from '../../src/entry/cli/commands/jwks';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-jwks-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeDestinations(entries: unknown[]): string {
  const file = path.join(dir, 'destinations.json');
  fs.writeFileSync(file, JSON.stringify(entries));
  return file;
}

const smart = (id: string, keyFile: string, alg: string, kid: string) => ({
  id,
  baseUrl: `https://${id}.example/fhir`,
  auth: {
    type: 'smart-backend',
    tokenUrl: `https://${id}.example/token`,
    clientId: 'kap',
    privateKeyFile: keyFile,
    alg,
    kid,
    scope: 'system/Communication.cu',
  },
});

describe('kap-bridge jwks', () => {
  test('prints one public key per smart-backend destination (kid, alg, use=sig, no private members), key files relative to the destinations file', async () => {
    const es = generateSigningKey('ES384');
    const rs = generateSigningKey('RS384');
    fs.writeFileSync(path.join(dir, 'es.pem'), es.privateKeyPem);
    fs.writeFileSync(path.join(dir, 'rs.pem'), rs.privateKeyPem);
    const file = writeDestinations([
      smart('lakeside', 'es.pem', 'ES384', 'lake-1'),
      smart('bay', 'rs.pem', 'RS384', 'bay-1'),
      { id: 'plain', baseUrl: 'https://plain.example/fhir', auth: { type: 'none' } },
    ]);
    const run = runJwks({ destinations: file }, {});
    expect(run.exitCode).toBe(0);
    const jwks = JSON.parse(run.stdout) as { keys: Array<Record<string, string>> };
    expect(jwks.keys.map((k) => [k.kid, k.alg, k.use, k.kty])).toEqual([
      ['lake-1', 'ES384', 'sig', 'EC'],
      ['bay-1', 'RS384', 'sig', 'RSA'],
    ]);
    for (const k of jwks.keys)
      for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(k).not.toHaveProperty(m);

    // The printed key verifies an assertion signed with the private key.
    const jwt = await signClientAssertion(
      { tokenUrl: 'https://lakeside.example/token', clientId: 'kap', alg: 'ES384', kid: 'lake-1' },
      importSigningKey(es.privateKeyPem, 'ES384'),
      Date.now(),
      'j1',
    );
    const [h, p, s] = jwt.split('.');
    const key = createPublicKey({ key: jwks.keys[0]!, format: 'jwk' });
    expect(
      verify(
        'sha384',
        Buffer.from(`${h}.${p}`),
        { key, dsaEncoding: 'ieee-p1363' },
        Buffer.from(s!, 'base64url'),
      ),
    ).toBe(true);
  });

  test('reads KAP_BRIDGE_DESTINATIONS when no option is given', () => {
    const file = writeDestinations([
      { id: 'plain', baseUrl: 'https://plain.example/fhir', auth: { type: 'none' } },
    ]);
    const run = runJwks({}, { KAP_BRIDGE_DESTINATIONS: file });
    expect(run).toMatchObject({ exitCode: 0, stderr: expect.stringContaining('key set is empty') });
    expect(JSON.parse(run.stdout)).toEqual({ keys: [] });
  });

  test('a key that does not fit its alg is reported with the destination, exit 2', () => {
    fs.writeFileSync(path.join(dir, 'es.pem'), generateSigningKey('ES384').privateKeyPem);
    const run = runJwks({ destinations: writeDestinations([smart('lakeside', 'es.pem', 'RS384', 'k')]) }, {});
    expect(run).toMatchObject({
      exitCode: 2,
      stderr: expect.stringMatching(/destination "lakeside".*RS384 needs an RSA key/),
    });
  });

  test('a missing key file is reported, exit 2', () => {
    const run = runJwks(
      { destinations: writeDestinations([smart('lakeside', 'nope.pem', 'ES384', 'k')]) },
      {},
    );
    expect(run).toMatchObject({ exitCode: 2, stderr: expect.stringContaining('nope.pem') });
  });

  test('an invalid destinations file is reported with the entry and field, exit 2', () => {
    const run = runJwks(
      {
        destinations: writeDestinations([
          { id: 'x', baseUrl: 'https://x.example', auth: { type: 'none' }, extra: 1 },
        ]),
      },
      {},
    );
    expect(run).toMatchObject({
      exitCode: 2,
      stderr: expect.stringContaining('destination "x", field "extra": unknown field'),
    });
  });

  test('--generate writes a 0600 PKCS#8 key, never overwrites, and prints the key with its thumbprint kid', () => {
    const out = path.join(dir, 'new.pem');
    const run = runJwks({ generate: true, alg: 'ES384', out }, {});
    expect(run.exitCode).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(fs.statSync(out).mode & 0o777).toBe(0o600);
    const [key] = (JSON.parse(run.stdout) as { keys: Array<Record<string, string>> }).keys;
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-384', alg: 'ES384', use: 'sig' });
    expect(run.stderr).toContain(`"kid": "${key!.kid}"`);
    expect(runJwks({ generate: true, alg: 'ES384', out }, {})).toMatchObject({ exitCode: 2 });
  });

  test('--generate into a folder that does not exist yet (README: --out keys/lakeside.pem) creates it, owner-only', () => {
    const out = path.join(dir, 'keys', 'lakeside.pem');
    const run = runJwks({ generate: true, alg: 'ES384', out }, {});
    expect(run.exitCode).toBe(0);
    expect(fs.statSync(out).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(out)).mode & 0o777).toBe(0o700);
  });
});
