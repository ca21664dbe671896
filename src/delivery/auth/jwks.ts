import { calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair, type JWK } from 'jose';
import { createPublicKey } from 'node:crypto';
import type { SmartAlg } from '../destinations';

/**
 * The public JSON Web Key Set a destination's EHR registers for SMART Backend Services
 * (the client's `jwks` / `jwks_uri`): one key per signing key, with `kid`, `alg` and
 * `use: "sig"`, derived from the PKCS#8 private key. Private members never appear.
 */

export interface PublicJwk extends JWK {
  kid: string;
  alg: SmartAlg;
  use: 'sig';
}

/** Checks that a key fits the algorithm: RS384 needs RSA ≥ 2048 bits, ES384 needs P-384. */
function checkKeyFitsAlg(jwk: JWK, alg: SmartAlg): string | undefined {
  if (alg === 'ES384') {
    return jwk.kty === 'EC' && jwk.crv === 'P-384' ? undefined : 'ES384 needs an EC P-384 key';
  }
  if (jwk.kty !== 'RSA' || !jwk.n) return 'RS384 needs an RSA key';
  const bits = Buffer.from(jwk.n, 'base64url').length * 8;
  return bits >= 2048 ? undefined : `RS384 needs an RSA key of at least 2048 bits (this one: ${bits})`;
}

/**
 * The public JWK of a PEM private key (PKCS#8, or any form node's crypto reads). Throws with a
 * readable message when the key is unreadable or does not fit `alg`.
 */
export function publicJwkFromPrivatePem(pem: string, alg: SmartAlg, kid: string): PublicJwk {
  const jwk = createPublicKey(pem).export({ format: 'jwk' }) as JWK;
  const problem = checkKeyFitsAlg(jwk, alg);
  if (problem) throw new Error(`key "${kid}": ${problem}`);
  const { kty, n, e, crv, x, y } = jwk;
  const pub: JWK = kty === 'RSA' ? { kty, n, e } : { kty, crv, x, y };
  return { ...pub, kid, alg, use: 'sig' };
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
export async function generateSigningKey(
  alg: SmartAlg,
): Promise<{ privateKeyPem: string; publicJwk: PublicJwk }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, modulusLength: 3072 });
  const privateKeyPem = await exportPKCS8(privateKey);
  const pub = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(pub, 'sha256');
  return { privateKeyPem, publicJwk: { ...pub, kid, alg, use: 'sig' } };
}
