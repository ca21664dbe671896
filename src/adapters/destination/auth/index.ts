import path from 'node:path';
import type { Destination } from '../destinations';
import type { GuardedHttpClient } from '../http-client';
import { createBearerAuth, createNoAuth, type AuthProvider } from './auth-provider';
import { createSmartBackendAuth } from './smart-backend';

export type { AuthProvider, Authorization } from './auth-provider';
export { createBearerAuth, createNoAuth } from './auth-provider';
export { createSmartBackendAuth, signClientAssertion, CLIENT_ASSERTION_TYPE } from './smart-backend';
export { buildJwks, generateSigningKey, publicJwkFromPrivatePem, type PublicJwk } from './jwks';

/** What a destination's auth needs from outside: the bearer token, or the private key PEM. */
export interface AuthSecrets {
  bearerToken?: string;
  privateKeyPem?: string;
}

/** I/O the composition root hands in to resolve secrets (kept out of this module). */
export interface SecretSources {
  env: Record<string, string | undefined>;
  readTextFile: (file: string) => string;
  /** `privateKeyFile` is relative to this directory (the destinations file's). */
  baseDir: string;
}

/**
 * Resolves the secrets of every destination that needs one. Fails fast with a message naming the
 * destination (a missing env var or unreadable key file is a configuration error at start).
 */
export function loadAuthSecrets(
  destinations: readonly Destination[],
  sources: SecretSources,
): { ok: true; secrets: Map<string, AuthSecrets> } | { ok: false; errors: string[] } {
  const secrets = new Map<string, AuthSecrets>();
  const errors: string[] = [];
  for (const d of destinations) {
    if (d.auth.type === 'bearer') {
      const token = sources.env[d.auth.tokenEnv];
      if (!token) errors.push(`destination "${d.id}": environment variable ${d.auth.tokenEnv} is not set`);
      else secrets.set(d.id, { bearerToken: token });
    } else if (d.auth.type === 'smart-backend') {
      const file = path.resolve(sources.baseDir, d.auth.privateKeyFile);
      try {
        secrets.set(d.id, { privateKeyPem: sources.readTextFile(file) });
      } catch (err) {
        errors.push(
          `destination "${d.id}": cannot read auth.privateKeyFile ${file}: ${(err as Error).message}`,
        );
      }
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, secrets };
}

export interface AuthDeps {
  http: GuardedHttpClient;
  now: () => number;
  newJti?: () => string;
  expiryMarginMs?: number;
}

/**
 * The auth provider of one destination. Throws when a secret is missing (a composition-root bug:
 * `loadAuthSecrets` reports missing secrets first).
 */
export function createAuthProvider(
  dest: Destination,
  secrets: AuthSecrets | undefined,
  deps: AuthDeps,
): AuthProvider {
  const auth = dest.auth;
  switch (auth.type) {
    case 'none':
      return createNoAuth();
    case 'bearer':
      if (!secrets?.bearerToken) throw new Error(`destination "${dest.id}": no bearer token resolved`);
      return createBearerAuth(secrets.bearerToken);
    case 'smart-backend':
      if (!secrets?.privateKeyPem) throw new Error(`destination "${dest.id}": no private key resolved`);
      return createSmartBackendAuth(
        { ...auth, privateKeyPem: secrets.privateKeyPem },
        {
          http: deps.http,
          policy: dest,
          now: deps.now,
          newJti: deps.newJti,
          expiryMarginMs: deps.expiryMarginMs,
        },
      );
  }
}
