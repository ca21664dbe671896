import { createPublicKey, generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import type { SmartAlg } from '../destinations';
import { importSigningKey, jwkThumbprint } from './jws';

/**
 * The public JSON Web Key Set a destination's EHR registers for SMART Backend Services
 * (the client's `jwks` / `jwks_uri`): one key per signing key, with `kid`, `alg` and
 * `use: "sig"`, derived from the PKCS#8 private key. Private members never appear.
 */

export interface PublicJwk {
  kty: 'RSA' | 'EC';
  n?: string;
  e?: string;
  crv?: string;
  x?: string;
  y?: string;
  kid: string;
  alg: SmartAlg;
  use: 'sig';
}

function publicPart(jwk: JsonWebKey): Pick<PublicJwk, 'kty' | 'n' | 'e' | 'crv' | 'x' | 'y'> {
  return jwk.kty === 'RSA'
    ? { kty: 'RSA', n: jwk.n, e: jwk.e }
    : { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y };
}

/**
 * The public JWK of a PEM private key. Throws with a readable message when the key is
 * unreadable or does not fit `alg` (RS384: RSA ≥ 2048 bits; ES384: EC P-384).
 */
export function publicJwkFromPrivatePem(pem: string, alg: SmartAlg, kid: string): PublicJwk {
  let jwk: JsonWebKey;
  try {
    jwk = createPublicKey(importSigningKey(pem, alg)).export({ format: 'jwk' });
  } catch (err) {
    throw new Error(`key "${kid}": ${err instanceof Error ? err.message : String(err)}`);
  }
  return { ...publicPart(jwk), kid, alg, use: 'sig' };
}

/** A JWKS document from keys, one per `kid` (the first wins). */
export function buildJwks(keys: PublicJwk[]): { keys: PublicJwk[] } {
  const seen = new Set<string>();
  return { keys: keys.filter((k) => (seen.has(k.kid) ? false : (seen.add(k.kid), true))) };
}

/**
 * Generates a signing key pair: the PKCS#8 PEM to store (mode 0600) and its public JWK. The `kid`
 * is the RFC 7638 thumbprint, so it is stable and needs no bookkeeping.
 */
export function generateSigningKey(alg: SmartAlg): { privateKeyPem: string; publicJwk: PublicJwk } {
  const { privateKey, publicKey } =
    alg === 'ES384'
      ? generateKeyPairSync('ec', { namedCurve: 'P-384' })
      : generateKeyPairSync('rsa', { modulusLength: 3072 });
  const privateKeyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const pub = publicPart(publicKey.export({ format: 'jwk' }));
  return { privateKeyPem, publicJwk: { ...pub, kid: jwkThumbprint(pub), alg, use: 'sig' } };
}
