import type { Destination, DestinationRead, DestinationReader } from '../../app/ports/destination-port';
import type { AuthProvider } from './auth/auth-provider';
import { openSession } from './destination-session';
import { permanent } from './failures';
import type { GuardedHttpClient } from './http-client';
import { ID_PATTERN, TYPE_PATTERN } from '../../fhir/id-pattern';

/**
 * Reads from a registered destination (DESIGN.md §6b, the reply pull) through the same guarded
 * session as delivery: its auth (one token refresh on a 401), the URL guard, no redirects. A
 * `next` link is followed only when it lies under the destination's base URL (R4 http.html#paging
 * lets a server shape its links; it does not make another host trustworthy with the token).
 */

export interface DestinationReaderDeps {
  http: GuardedHttpClient;
  authFor: (dest: Destination) => AuthProvider;
  now: () => number;
}

const TYPE = new RegExp(`^${TYPE_PATTERN}$`);
const ID = new RegExp(`^${ID_PATTERN}$`);

export function createDestinationReader(deps: DestinationReaderDeps): DestinationReader {
  async function get(dest: Destination, path: string): Promise<DestinationRead> {
    const session = openSession(dest, deps.authFor(dest), deps.http, deps.now);
    const reply = await session.send({ method: 'GET', path });
    return reply.ok ? { ok: true, status: reply.res.status, body: reply.res.body } : reply;
  }
  return {
    async search(dest, query) {
      if ('path' in query) return get(dest, query.path);
      const path = relativeTo(dest.baseUrl, query.next);
      if (path === undefined) {
        return {
          ok: false,
          failure: permanent(
            'security',
            `destination "${dest.id}" returned a next link outside its base URL; paging stopped there`,
            'Bundle.link.url',
          ),
        };
      }
      return get(dest, path);
    },
    async read(dest, type, id) {
      if (!TYPE.test(type) || !ID.test(id)) {
        return { ok: false, failure: permanent('value', 'not a resource type and id', 'reference') };
      }
      return get(dest, `${type}/${id}`);
    },
  };
}

/** The part of `url` after `base` (`Communication?…` or `?_page=…`), or undefined when it is elsewhere. */
export function relativeTo(base: string, url: string): string | undefined {
  if (url.length > 4096) return undefined;
  if (!url.startsWith(base)) return undefined;
  const rest = url.slice(base.length);
  if (rest.startsWith('/')) return rest.slice(1);
  // The base URL itself with a query (`[base]?_getpages=…`, as some servers page).
  if (rest.startsWith('?')) return rest;
  return undefined;
}
