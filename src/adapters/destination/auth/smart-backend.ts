import { issue } from '../../../fhir/outcomes';
import { randomUUID, type KeyObject } from 'node:crypto';
import type { SmartAlg } from '../destinations';
import { classifyHttpError, classifyResponse, permanent, type DeliveryFailure } from '../failures';
import type { GuardedHttpClient } from '../http-client';
import type { UrlPolicy } from '../url-guard';
import type { AuthProvider, Authorization } from './auth-provider';
import { importSigningKey, signJwt } from './jws';

/**
 * SMART Backend Services client (http://hl7.org/fhir/smart-app-launch/backend-services.html):
 * OAuth 2.0 client_credentials where the client authenticates with a JWT it signs itself
 * (RFC 7523 "private_key_jwt"): header `alg` RS384|ES384 + `kid`; claims iss = sub = client_id,
 * aud = the token URL, a fresh random `jti` (the server rejects replays), `exp` no more than five
 * minutes ahead. The access token is cached until `expires_in` minus a safety margin.
 */

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Assertion lifetime: the spec caps `exp` at five minutes; stay under it for clock skew. */
const ASSERTION_LIFETIME_S = 240;

export interface SmartBackendConfig {
  tokenUrl: string;
  clientId: string;
  alg: SmartAlg;
  kid: string;
  scope: string;
  /** PKCS#8 PEM of the signing key (the composition root reads `privateKeyFile`). */
  privateKeyPem: string;
}

export interface SmartBackendDeps {
  http: GuardedHttpClient;
  /** The token endpoint is reached under the same URL policy as its destination. */
  policy: UrlPolicy;
  /** Milliseconds since the epoch (injected clock). */
  now: () => number;
  /** Fresh `jti` values; random by default. */
  newJti?: () => string;
  /** Refresh this long before `expires_in` runs out. Default 60 s. */
  expiryMarginMs?: number;
}

interface CachedToken {
  header: string;
  expiresAt: number;
}

/** Signs one client assertion (exported for tests and diagnostics). */
export function signClientAssertion(
  config: Omit<SmartBackendConfig, 'scope' | 'privateKeyPem'>,
  key: KeyObject,
  nowMs: number,
  jti: string,
): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  const claims = {
    iss: config.clientId,
    sub: config.clientId,
    aud: config.tokenUrl,
    jti,
    iat,
    exp: iat + ASSERTION_LIFETIME_S,
  };
  return signJwt({ typ: 'JWT', kid: config.kid }, claims, key, config.alg);
}

function parseTokenResponse(body: string, nowMs: number, marginMs: number): CachedToken | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { access_token: token, token_type: type, expires_in: expiresIn } = parsed as Record<string, unknown>;
  if (typeof token !== 'string' || token === '') return undefined;
  if (typeof type !== 'string' || type.toLowerCase() !== 'bearer') return undefined;
  // SMART requires expires_in; assume the 5-minute minimum if a server leaves it out.
  const lifetimeMs = (typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : 300) * 1000;
  return { header: `Bearer ${token}`, expiresAt: nowMs + Math.max(0, lifetimeMs - marginMs) };
}

/** Builds the SMART Backend Services provider for one destination. */
export function createSmartBackendAuth(config: SmartBackendConfig, deps: SmartBackendDeps): AuthProvider {
  const margin = deps.expiryMarginMs ?? 60_000;
  const newJti = deps.newJti ?? randomUUID;
  let cached: CachedToken | undefined;
  let inFlight: Promise<Authorization> | undefined;
  let key: KeyObject | undefined;

  async function fetchToken(): Promise<Authorization> {
    const what = `token request to ${config.tokenUrl}`;
    let assertion: string;
    try {
      key ??= importSigningKey(config.privateKeyPem, config.alg);
      assertion = await signClientAssertion(config, key, deps.now(), newJti());
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      return {
        ok: false,
        failure: permanent(
          'security',
          `${what}: cannot sign the client assertion with the ${config.alg} key: ${msg}`,
        ),
      };
    }
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      scope: config.scope,
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: assertion,
    }).toString();
    const res = await deps.http.send(deps.policy, {
      method: 'POST',
      url: config.tokenUrl,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
    });
    if (res.kind !== 'response') return { ok: false, failure: classifyHttpError(res, what) };
    if (res.status !== 200)
      return { ok: false, failure: tokenFailure(classifyResponse(res, what, deps.now()), res.body) };
    const token = parseTokenResponse(res.body, deps.now(), margin);
    if (!token) {
      return { ok: false, failure: permanent('security', `${what}: the answer has no bearer access_token`) };
    }
    cached = token;
    return { ok: true, header: token.header };
  }

  return {
    authorize(): Promise<Authorization> {
      if (cached && deps.now() < cached.expiresAt)
        return Promise.resolve({ ok: true, header: cached.header });
      // Single-flight: concurrent pushes share one token request.
      inFlight ??= fetchToken().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
    invalidate(): boolean {
      cached = undefined;
      return true;
    },
  };
}

/** Adds the OAuth error (RFC 6749 §5.2: invalid_client, invalid_scope…) to the failure. */
function tokenFailure(f: DeliveryFailure, body: string): DeliveryFailure {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; error_description?: unknown };
    if (typeof parsed.error === 'string') {
      const desc = typeof parsed.error_description === 'string' ? ` (${parsed.error_description})` : '';
      f.outcome.issue?.push(
        issue({ code: 'security', text: `token endpoint error: ${parsed.error}${desc}` }),
      );
    }
  } catch {
    // not JSON: the status says enough
  }
  return f;
}
