import type { IncomingMessage } from 'node:http';

/**
 * The base URL a client reached the sandbox at, for the links it is answered with (R4
 * search.html#paging: a client follows `next` as given). Behind a forwarding proxy (the fault
 * proxy, as a reverse proxy in front of a real EHR) that is the proxy's address, which the proxy
 * names in `X-Forwarded-Host` (the de-facto header; RFC 7239 `Forwarded` is its standard form).
 * The sandbox serves loopback only, so only a loopback host with a port is honoured — a link can
 * never be pointed elsewhere; anything else (absent, a list, another host) keeps the own base.
 */

const LOOPBACK_WITH_PORT = /^(?:127\.0\.0\.1|localhost|\[::1\]):\d{1,5}$/;

export function forwardedBaseUrl(req: IncomingMessage, ownBase: string): string {
  const header = req.headers['x-forwarded-host'];
  if (typeof header !== 'string' || header.length > 64 || !LOOPBACK_WITH_PORT.test(header)) return ownBase;
  const own = new URL(ownBase);
  return `${own.protocol}//${header}${own.pathname.replace(/\/$/, '')}`;
}
