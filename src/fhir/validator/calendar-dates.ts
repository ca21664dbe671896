import { daysInMonth } from '../../domain/calendar';
import { issue } from '../outcomes';
import type { CheckContext } from './context';

/** The FHIR types whose values start with a calendar date (YYYY-MM-DD, or a prefix of it). */
const DATE_TYPES = new Set(['date', 'dateTime', 'instant']);
const FULL_DATE = /^(\d{4})-(\d{2})-(\d{2})(?![0-9])/;
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/**
 * A date, dateTime or instant must name a real day. The R4 regular expressions
 * (https://hl7.org/fhir/R4/datatypes.html#date) accept any day 01-31 in any month, so
 * `1999-02-30` passes them; the types are ISO 8601 dates ("valid dates", datatypes.html#date),
 * which it is not, and the HL7 validator rejects it. Month and day outside 01-12 / 01-31 are the
 * lexical check's (primitive-values.ts) finding, not repeated here.
 */
export function checkCalendarDate(value: string, type: string, path: string, ctx: CheckContext): void {
  if (!DATE_TYPES.has(type)) return;
  const m = FULL_DATE.exec(value);
  if (!m) return;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1) return;
  const days = daysInMonth(year, month);
  if (day <= days) return;
  ctx.issues.push(
    issue({
      code: 'value',
      text: `Not a valid ${type}: '${value}' names day ${day} of ${MONTHS[month - 1] ?? month} ${year}, which has ${days} days.`,
      expression: path,
    }),
  );
}
