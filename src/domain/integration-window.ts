/**
 * The integration window (DESIGN.md §1, §6): an update is only useful to the referring clinician
 * in the ~3 days after a session. The window closes at the end of the third calendar day after
 * the session, 23:59:59 in the practice's time zone (session on the 20th → closes 23:59:59 on the
 * 23rd). An item not delivered with less than 24 h left is "at risk"; after the close it is
 * "late" (still delivered, flagged). Pure: the zone is passed in, the clock is the caller's.
 */

import { wallTimeToInstant } from './time-zone';

const DAY_MS = 24 * 60 * 60 * 1000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days after the session date whose end closes the window. */
export const INTEGRATION_WINDOW_DAYS = 3;

export type WindowStatus = 'open' | 'at-risk' | 'late';

/** An undelivered item with less than this left before its window closes is "at risk". */
export const AT_RISK_MS = DAY_MS;

/**
 * Closes already computed, by zone and session date: the answer depends on nothing else, most
 * updates name one of a few recent session dates, and reading the zone's offset through `Intl`
 * was most of the cost (issue 12). Bounded; a fresh Date is handed out each time.
 */
const closes = new Map<string, number>();
const MAX_REMEMBERED = 4096;

/**
 * The instant the window of a session on `sessionDate` (`YYYY-MM-DD`) closes, in `timeZone`
 * (IANA name). Throws on a malformed date or unknown zone: callers pass parsed records.
 */
export function integrationWindowClose(sessionDate: string, timeZone: string): Date {
  const key = `${timeZone}|${sessionDate}`;
  const known = closes.get(key);
  if (known !== undefined) return new Date(known);
  const close = computeClose(sessionDate, timeZone);
  if (closes.size >= MAX_REMEMBERED) closes.clear();
  closes.set(key, close.getTime());
  return close;
}

function computeClose(sessionDate: string, timeZone: string): Date {
  const m = DATE_RE.exec(sessionDate);
  if (!m) throw new Error(`integrationWindowClose: not a date: ${sessionDate}`);
  // Calendar arithmetic in UTC, where every day has 24 h: month and year ends roll over.
  const day = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + INTEGRATION_WINDOW_DAYS));
  const wall = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), 23, 59, 59);
  return new Date(wallTimeToInstant(timeZone, wall));
}

/** `late` after the close, `at-risk` with less than 24 h left, else `open`. */
export function integrationWindowStatus(deadline: Date, now: Date): WindowStatus {
  const left = deadline.getTime() - now.getTime();
  if (left < 0) return 'late';
  return left < AT_RISK_MS ? 'at-risk' : 'open';
}
