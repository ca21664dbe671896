import { createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import type { JWTPayload } from 'jose';
import type { SmartAlg } from '../destinations';

/**
 * JWT signing for the two SMART Backend Services algorithms (RS384 = RSASSA-PKCS1-v1_5 with
 * SHA-384; ES384 = ECDSA P-384 with SHA-384, R‖S signature per RFC 7518 §3.4), done by `jose`
 * (v5: it ships CommonJS, which this project and its test runner load; v6 is ESM-only) rather
 * than by hand, so the encoding details are a well-reviewed library's job.
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

/** Signs `claims` as a compact JWS with `header` (its `alg` is set from `alg`). */
export async function signJwt(
  header: Record<string, unknown>,
  claims: JWTPayload,
  key: KeyObject,
  alg: SmartAlg,
): Promise<string> {
  // Loaded on the first signature: only SMART destinations sign, and `jose` costs every start.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { SignJWT } = require('jose') as typeof import('jose');
  return new SignJWT(claims).setProtectedHeader({ ...header, alg }).sign(key);
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
