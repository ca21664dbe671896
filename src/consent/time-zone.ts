/**
 * FHIR date/dateTime values as instants, read in the practice's time zone.
 *
 * FHIR R4 §2.24.0.1 (datatypes): a `date` (or a partial dateTime) is a whole period at its
 * precision, and a Period `end` "includes any matching date/time": `end = 2026-11-23` covers the
 * whole of 23 November. DESIGN.md §5 says such days are days of the practice's zone, so a
 * date-only value becomes [local midnight, next local midnight). Offsets come from `Intl` (the
 * IANA database shipped with Node), no library.
 */

import { daysInMonth } from '../domain/calendar';
import { wallTimeToInstant } from '../domain/time-zone';

export { isValidTimeZone } from '../domain/time-zone';

/** A half-open interval of epoch milliseconds: lo ≤ t < hi. */
export interface Interval {
  lo: number;
  hi: number;
}

const PATTERN =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/** Per zone, per value (the same string instances recur across calls: no key building). */
const intervals = new Map<string, Map<string, Interval | null>>();
const MAX_CACHED = 10_000;

/**
 * The interval a FHIR date / dateTime / instant covers, at its own precision; values without an
 * offset are read in `zone`. Undefined when the value is not a FHIR date or dateTime.
 */
export function fhirDateInterval(value: string, zone: string): Interval | undefined {
  let byValue = intervals.get(zone);
  if (!byValue) {
    byValue = new Map();
    intervals.set(zone, byValue);
  }
  const cached = byValue.get(value);
  if (cached !== undefined) return cached ?? undefined;
  const computed = computeInterval(value, zone);
  if (byValue.size >= MAX_CACHED) byValue.clear();
  byValue.set(value, computed ?? null);
  return computed;
}

function computeInterval(value: string, zone: string): Interval | undefined {
  const m = PATTERN.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const year = Number(y);
  const month = mo === undefined ? undefined : Number(mo);
  const day = d === undefined ? undefined : Number(d);
  if (month !== undefined && (month < 1 || month > 12)) return undefined;
  if (day !== undefined && (day < 1 || day > daysInMonth(year, month ?? 1))) return undefined;
  if (h === undefined) return dateOnly(year, month, day, zone);
  if (Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59) return undefined;
  const wall = Date.UTC(year, (month ?? 1) - 1, day ?? 1, Number(h), Number(mi), Number(s ?? 0));
  const lo = tz === undefined ? wallTimeToInstant(zone, wall) : wall - offsetOf(tz);
  const fracMs = frac === undefined ? 0 : Math.floor(Number(frac) * 1000);
  const step = s === undefined ? 60_000 : frac === undefined ? 1000 : 1;
  return { lo: lo + fracMs, hi: lo + fracMs + step };
}

function dateOnly(year: number, month: number | undefined, day: number | undefined, zone: string): Interval {
  const start = Date.UTC(year, (month ?? 1) - 1, day ?? 1);
  const end =
    day !== undefined
      ? Date.UTC(year, (month ?? 1) - 1, day + 1)
      : month !== undefined
        ? Date.UTC(year, month, 1)
        : Date.UTC(year + 1, 0, 1);
  return { lo: wallTimeToInstant(zone, start), hi: wallTimeToInstant(zone, end) };
}

function offsetOf(tz: string): number {
  if (tz === 'Z') return 0;
  const sign = tz.startsWith('-') ? -1 : 1;
  return sign * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(4, 6))) * 60_000;
}

/** True when `value` is a FHIR instant (full date, time with seconds, and an offset). */
export function isFhirInstant(value: string): boolean {
  const m = PATTERN.exec(value);
  return (
    m !== null && m[6] !== undefined && m[8] !== undefined && computeInterval(value, 'UTC') !== undefined
  );
}

/** True when `value` is a FHIR date or dateTime (partial dates allowed). */
export function isFhirDateTime(value: string): boolean {
  const m = PATTERN.exec(value);
  return (
    m !== null && (m[4] === undefined || m[8] !== undefined) && computeInterval(value, 'UTC') !== undefined
  );
}
