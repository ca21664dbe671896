import type { OperationOutcome } from '@medplum/fhirtypes';
import { errorOutcome } from '../fhir/outcomes';

/**
 * How far ahead of this machine's clock a recorded instant may be: the practice system that
 * stamped it keeps its own clock, and two NTP-synchronised clocks still differ by seconds.
 */
export const CLOCK_SKEW_MS = 5 * 60_000;

/** The instant a record says its event happened, and the field that holds it. */
export interface RecordedAt {
  field: string;
  at: string;
}

/**
 * Refuses a record whose event is dated later than now (+ {@link CLOCK_SKEW_MS}). A consent is
 * signed, an update written and a revocation received before they are recorded; a date in the
 * future is a typo or a wrong zone, and a future `revokedAt` would stop disclosures at once
 * while the record claims they were still permitted until then. The rule needs the clock, so it
 * lives here and not in the pure domain parser; `now` is the injected clock's.
 */
export function refuseFutureInstant(
  label: string,
  recorded: RecordedAt,
  now: Date,
): OperationOutcome | undefined {
  const at = Date.parse(recorded.at);
  if (Number.isNaN(at) || at <= now.getTime() + CLOCK_SKEW_MS) return undefined;
  const article = /^[aeiou]/i.test(label) ? 'an' : 'a';
  const text =
    `${recorded.field} ${recorded.at} is later than now (${now.toISOString()}): ${article} ${label} records ` +
    `something that already happened (clocks may differ by up to ${CLOCK_SKEW_MS / 60_000} minutes)`;
  return errorOutcome('business-rule', text, recorded.field);
}
