import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue, outcome } from '../fhir/outcomes';

/**
 * How a push failed, as the relay acts on it (DESIGN.md §6): `retry` (backoff, then again) or
 * `permanent` (the item goes `dead` at once). Pure values: the destination adapter classifies
 * what the network and the destination answered into one of these.
 */

/** `httpStatus`: the destination's response that decided the failure; absent when there was
 * none (network error, timeout, URL-guard refusal, a policy refusal before any push). */
export type DeliveryFailure =
  | { kind: 'retry'; reason: string; retryAfterMs?: number; outcome: OperationOutcome; httpStatus?: number }
  | { kind: 'permanent'; outcome: OperationOutcome; httpStatus?: number };

/** A permanent failure with one issue. */
export function permanent(
  code: OperationOutcomeIssue['code'],
  text: string,
  expression?: string,
): DeliveryFailure {
  return { kind: 'permanent', outcome: outcome([issue({ code, text, expression })]) };
}

/** A retryable failure with one issue. */
export function retry(reason: string, text: string, retryAfterMs?: number): DeliveryFailure {
  const f: DeliveryFailure = {
    kind: 'retry',
    reason,
    outcome: outcome([issue({ code: 'transient', text })]),
  };
  if (retryAfterMs !== undefined) f.retryAfterMs = retryAfterMs;
  return f;
}
