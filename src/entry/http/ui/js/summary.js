import { api } from './api.js';

// The queue as `GET /outbox/summary` answers it (counts by state, every row with its referral
// and session), and the values the filters offer. Each call is one audited read on the server.

/** The summary for a destination and/or client filter (empty values are left out). */
export function loadSummary(filter = {}) {
  const query = new URLSearchParams();
  if (filter.destination) query.set('destination', filter.destination);
  if (filter.patient) query.set('patient', filter.patient);
  const qs = query.toString();
  return api(`/outbox/summary${qs ? `?${qs}` : ''}`);
}

/** The distinct values of `field` in the items, sorted. */
export function distinct(items, field) {
  return [...new Set(items.map((i) => i[field]).filter(Boolean))].sort();
}

/**
 * A clock in step with the server's: countdowns compare deadlines with the server's "now" moved
 * on by the browser's clock, so a browser clock that is off does not shift the countdown.
 */
export function serverClock(serverNowIso) {
  const skew = Date.parse(serverNowIso) - Date.now();
  return () => Date.now() + (Number.isNaN(skew) ? 0 : skew);
}
