import type { DeliveryFailure } from '../failures';

/**
 * How a request to a destination is authorised. A provider hands out the `Authorization` header
 * value (or none) and, after a 401 from the FHIR server, may drop a cached credential so that
 * one fresh attempt can be made (SMART Backend Services: tokens can be revoked before expiry).
 */
export type Authorization = { ok: true; header?: string } | { ok: false; failure: DeliveryFailure };

export interface AuthProvider {
  /** The header value to send, fetching a token if needed. */
  authorize(): Promise<Authorization>;
  /** Drops a cached credential after a 401. True when a new credential may help (retry once). */
  invalidate(): boolean;
}

/** `auth: { type: "none" }`. */
export function createNoAuth(): AuthProvider {
  return { authorize: () => Promise.resolve({ ok: true }), invalidate: () => false };
}

/**
 * `auth: { type: "bearer", tokenEnv }` — a static token; the composition root reads it from the
 * environment variable the destination names. A 401 cannot be fixed by re-reading it.
 */
export function createBearerAuth(token: string): AuthProvider {
  const header = `Bearer ${token}`;
  return { authorize: () => Promise.resolve({ ok: true, header }), invalidate: () => false };
}
