/**
 * Calendar checks the schema's patterns cannot express: a date must exist (no 2026-02-30) and an
 * instant's date and clock must be real. Pure string arithmetic — no clock, no time zone database.
 */

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT_RE = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|([+-])(\d{2}):(\d{2}))$/;

/** Gregorian leap years (ISO 8601, and so FHIR dates, use the proleptic Gregorian calendar). */
export function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

/** The number of days of `month` (1–12) in `year`; 0 for a month outside 1–12. */
export function daysInMonth(year: number, month: number): number {
  return [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}

/** True when `value` is `YYYY-MM-DD` and names a day that exists in the Gregorian calendar. */
export function isRealDate(value: string): boolean {
  const m = DATE_RE.exec(value);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  return year >= 1900 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/**
 * True when `value` is a FHIR `instant` (seconds and a time zone required,
 * http://hl7.org/fhir/R4/datatypes.html#instant) with a real date, hours 00–23, minutes and
 * seconds 00–59 and an offset within ±14:00.
 */
export function isRealInstant(value: string): boolean {
  const m = INSTANT_RE.exec(value);
  if (!m || !isRealDate(m[1] ?? '')) return false;
  if (Number(m[2]) > 23 || Number(m[3]) > 59 || Number(m[4]) > 59) return false;
  if (m[6] === 'Z') return true;
  const offsetMinutes = Number(m[8]) * 60 + Number(m[9]);
  return Number(m[9]) < 60 && offsetMinutes <= 14 * 60;
}
