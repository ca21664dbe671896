import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import type { SmartAlg } from '../destinations';

/**
 * Compact JWS signing (RFC 7515 §7.1) for the two SMART Backend Services algorithms, on node's
 * crypto. RS384 = RSASSA-PKCS1-v1_5 with SHA-384; ES384 = ECDSA P-384 with SHA-384 and the
 * signature as R‖S (RFC 7518 §3.4 — node's `dsaEncoding: 'ieee-p1363'`, not DER).
 * (jose 6 is ESM-only and cannot be loaded by the CommonJS test runner; this is all we need of it.)
 */

/** Why a key cannot sign with `alg`, or undefined when it fits. */
export function keyProblem(key: KeyObject, alg: SmartAlg): string | undefined {
  if (key.type !== 'private') return 'a private key is needed';
  const details = key.asymmetricKeyDetails ?? {};
  if (alg === 'ES384') {
    return key.asymmetricKeyType === 'ec' && details.namedCurve === 'secp384r1'
      ? undefined
      : 'ES384 needs an EC P-384 key';
  }
  if (key.asymmetricKeyType !== 'rsa') return 'RS384 needs an RSA key';
  const bits = details.modulusLength ?? 0;
  return bits >= 2048 ? undefined : `RS384 needs an RSA key of at least 2048 bits (this one: ${bits})`;
}

/** Reads a PEM private key (PKCS#8 or PKCS#1/SEC1) and checks it fits `alg`; throws otherwise. */
export function importSigningKey(pem: string, alg: SmartAlg): KeyObject {
  const key = createPrivateKey(pem);
  const problem = keyProblem(key, alg);
  if (problem) throw new Error(problem);
  return key;
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Signs `claims` as a compact JWS with `header` (its `alg` is set from `alg`). */
export function signJwt(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  key: KeyObject,
  alg: SmartAlg,
): string {
  const input = `${b64url({ ...header, alg })}.${b64url(claims)}`;
  const signature = sign(
    'sha384',
    Buffer.from(input),
    alg === 'ES384' ? { key, dsaEncoding: 'ieee-p1363' } : key,
  );
  return `${input}.${signature.toString('base64url')}`;
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url) of an RSA or EC public JWK. */
export function jwkThumbprint(jwk: {
  kty?: string;
  n?: string;
  e?: string;
  crv?: string;
  x?: string;
  y?: string;
}): string {
  // Required members only, in lexicographic order, no whitespace (RFC 7638 §3.2).
  const members =
    jwk.kty === 'RSA'
      ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
      : { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}
