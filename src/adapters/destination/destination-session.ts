import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { AuthProvider } from './auth/auth-provider';
import type { Destination } from './destinations';
import { classifyHttpError, classifyResponse, retry, type DeliveryFailure } from './failures';
import type { GuardedHttpClient, HttpResponse } from './http-client';
import { identifierQuery, type BusinessIdentifier } from '../../outbox/delivery-unit';
import { ID_PATTERN } from '../../fhir/id-pattern';

/**
 * One push's conversation with one destination: base URL, FHIR JSON headers, authorization, and
 * the single token refresh allowed after a 401 (SMART Backend Services: a token may be revoked
 * before it expires). Anything but a 2xx comes back classified (DESIGN.md §6).
 */

const FHIR_JSON = 'application/fhir+json';

export type SessionReply =
  { ok: true; res: HttpResponse; body: unknown } | { ok: false; failure: DeliveryFailure };

export interface SessionRequest {
  method: 'GET' | 'POST' | 'PUT';
  /** Relative to the base URL, e.g. `Patient?identifier=…` or `` for the transaction endpoint. */
  path: string;
  body?: Resource;
  headers?: Record<string, string>;
}

export interface DestinationSession {
  send(req: SessionRequest): Promise<SessionReply>;
  /** Matches of `Type?identifier=system|value` (at most 2 asked for: 0, 1 or "several"). */
  searchByIdentifier(
    type: string,
    id: BusinessIdentifier,
  ): Promise<{ ok: true; matches: Resource[] } | { ok: false; failure: DeliveryFailure }>;
  /** The HTTP status of the last request's response; undefined when it got none (network
   * error, timeout, guard refusal, auth failure) or nothing was sent yet. */
  lastStatus(): number | undefined;
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Opens a session; `now` feeds `Retry-After` HTTP-dates. */
export function openSession(
  dest: Destination,
  auth: AuthProvider,
  http: GuardedHttpClient,
  now: () => number,
): DestinationSession {
  let refreshed = false;
  let lastStatus: number | undefined;

  async function send(req: SessionRequest): Promise<SessionReply> {
    const what = `${req.method} ${req.path.split('?')[0] || '(transaction)'}`;
    for (;;) {
      lastStatus = undefined;
      const authz = await auth.authorize();
      if (!authz.ok) return { ok: false, failure: authz.failure };
      const headers: Record<string, string> = { accept: FHIR_JSON, ...req.headers };
      if (req.body) headers['content-type'] = FHIR_JSON;
      if (authz.header) headers.authorization = authz.header;
      const res = await http.send(dest, {
        method: req.method,
        url: req.path ? `${dest.baseUrl}/${req.path}` : dest.baseUrl,
        headers,
        body: req.body ? JSON.stringify(req.body) : undefined,
      });
      if (res.kind !== 'response') return { ok: false, failure: classifyHttpError(res, what) };
      lastStatus = res.status;
      if (res.status === 401 && !refreshed && auth.invalidate()) {
        refreshed = true; // one refresh per push; a second 401 is permanent
        continue;
      }
      if (res.status < 200 || res.status > 299) {
        return { ok: false, failure: classifyResponse(res, what, now()) };
      }
      return { ok: true, res, body: parseJson(res.body) };
    }
  }

  async function searchByIdentifier(type: string, id: BusinessIdentifier) {
    const reply = await send({ method: 'GET', path: `${type}?${identifierQuery(id)}&_count=2` });
    if (!reply.ok) return reply;
    const bundle = reply.body as Bundle | undefined;
    if (bundle?.resourceType !== 'Bundle') {
      return {
        ok: false as const,
        failure: retry('unreadable-search', `search of ${type} by identifier did not return a Bundle`),
      };
    }
    const matches = (bundle.entry ?? [])
      .filter((e) => e.search?.mode !== 'include' && e.search?.mode !== 'outcome')
      .map((e) => e.resource)
      .filter((r): r is Resource => r?.resourceType === type && typeof r.id === 'string');
    return { ok: true as const, matches };
  }

  return { send, searchByIdentifier, lastStatus: () => lastStatus };
}

/** The `Type/id` a response names: the body's id, else the Location header (R4 http.html#create). */
export function referenceFrom(type: string, body: unknown, location: string | undefined): string | undefined {
  if (typeof body === 'object' && body !== null) {
    const r = body as { resourceType?: unknown; id?: unknown };
    if (r.resourceType === type && typeof r.id === 'string') return `${type}/${r.id}`;
  }
  const m = location ? locationPattern(type).exec(location) : null;
  return m?.[1] ? `${type}/${m[1]}` : undefined;
}

/** One pattern per resource type, compiled once (issue 12: once per entry of every push showed). */
const LOCATION_PATTERNS = new Map<string, RegExp>();
function locationPattern(type: string): RegExp {
  let pattern = LOCATION_PATTERNS.get(type);
  if (!pattern) {
    pattern = new RegExp(`(?:^|/)${type}/(${ID_PATTERN})(?:/_history/|/?$)`);
    LOCATION_PATTERNS.set(type, pattern);
  }
  return pattern;
}
