import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { errorOutcome } from '../fhir/outcomes';

/**
 * Who may talk to the sandbox (DESIGN.md §8 "Trust at the edge"). It holds whatever was delivered
 * to it — PHI in a real run of `serve` — on an unauthenticated-by-default port, so:
 * - only loopback `Host` headers (or the address it is bound to): a web page whose DNS name is
 *   re-pointed at 127.0.0.1 (DNS rebinding) sends its own name as `Host` and is refused;
 * - a bearer token on every request but `GET /fhir/metadata`, which R4 lets stay public
 *   (http.html#capabilities: a client reads it before it authenticates).
 */

/** A refusal: the status to answer, the OperationOutcome, extra headers. */
export interface Refusal {
  status: number;
  outcome: OperationOutcome;
  headers?: Record<string, string>;
}

/** Checks a presented bearer token; true when it may pass. */
export type TokenCheck = (presented: string) => boolean;

/** A fresh random token (256 bits, base64url): what `serve` and `kap-bridge sandbox` generate. */
export function generateSandboxToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Compares digests in constant time, so the time taken does not tell how much of a guess matched. */
export function tokenCheckFor(token: string): TokenCheck {
  const expected = digest(token);
  return (presented) => timingSafeEqual(digest(presented), expected);
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);
/** Wildcard binds: no single address names the sandbox, so only loopback names are accepted. */
const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);

/**
 * The `Host` names the sandbox answers to: loopback, plus the address it is bound to when that
 * is one address (an IP literal cannot be re-pointed by DNS).
 */
export function allowedHostsFor(bindHost: string): ReadonlySet<string> {
  const bound = bindHost.includes(':') && !bindHost.startsWith('[') ? `[${bindHost}]` : bindHost;
  const names = new Set(LOOPBACK_NAMES);
  if (!WILDCARDS.has(bound)) names.add(bound.toLowerCase());
  return names;
}

/** 400 without a `Host`, 421 (RFC 9110 §15.5.20 Misdirected Request) for a name not in `allowed`. */
export function checkHost(req: IncomingMessage, allowed: ReadonlySet<string>): Refusal | undefined {
  const host = req.headers.host;
  if (!host) {
    return { status: 400, outcome: errorOutcome('required', 'The request has no Host header.') };
  }
  const name = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::\d{1,5})?$/.exec(host)?.[1]?.toLowerCase();
  if (name && allowed.has(name)) return undefined;
  // The refused name is not echoed: it is attacker-chosen text.
  const text = 'This sandbox answers only to loopback host names (127.0.0.1, localhost, [::1]).';
  return { status: 421, outcome: errorOutcome('security', text) };
}

const CHALLENGE = 'Bearer realm="kap-bridge-sandbox"';

/** 401 `login` unless `Authorization: Bearer <token>` passes `check`. */
export function checkToken(req: IncomingMessage, check: TokenCheck): Refusal | undefined {
  const header = req.headers.authorization;
  const presented = header ? /^Bearer +(\S+)\s*$/i.exec(header)?.[1] : undefined;
  if (presented && check(presented)) return undefined;
  const text = header
    ? 'The sandbox token is not valid.'
    : 'The sandbox needs its token: send Authorization: Bearer <token> (printed as "sandbox token:" at start).';
  const challenge = header ? `${CHALLENGE}, error="invalid_token"` : CHALLENGE;
  return { status: 401, outcome: errorOutcome('login', text), headers: { 'www-authenticate': challenge } };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
