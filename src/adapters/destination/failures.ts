import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue, outcome } from '../../fhir/outcomes';
import { permanent, retry, type DeliveryFailure } from '../../outbox/delivery-failure';
import type { HttpError, HttpResponse } from './http-client';

export { permanent, retry, type DeliveryFailure };

/**
 * Retry classification of DESIGN.md §6: network errors, timeouts, 408, 429 and 5xx are worth
 * retrying (honouring `Retry-After`, RFC 9110 §10.2.3); any other 4xx and every 3xx is permanent
 * (the item goes `dead` at once, no head-of-line blocking). Redirects are never followed.
 */

/** `Retry-After` as milliseconds from `nowMs`: delay-seconds or an HTTP-date. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** The destination's own OperationOutcome issues, when the body carries one (at most 5). */
function serverIssues(body: string): OperationOutcomeIssue[] {
  try {
    const parsed: unknown = JSON.parse(body);
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      (parsed as { resourceType?: unknown }).resourceType === 'OperationOutcome'
    ) {
      const issues = (parsed as OperationOutcome).issue;
      return Array.isArray(issues) ? issues.slice(0, 5) : [];
    }
  } catch {
    // not JSON: the status line says enough
  }
  return [];
}

function codeForStatus(status: number): OperationOutcomeIssue['code'] {
  switch (status) {
    case 401:
      return 'login';
    case 403:
      return 'forbidden';
    case 404:
      return 'not-found';
    case 405:
      return 'not-supported';
    case 409:
    case 412:
      return 'conflict';
    case 413:
      return 'too-long';
    case 429:
      return 'throttled';
    default:
      return status >= 500 || status === 408 ? 'transient' : 'processing';
  }
}

/** Classifies a non-2xx response to `what` (e.g. "POST Communication"). */
export function classifyResponse(res: HttpResponse, what: string, nowMs: number): DeliveryFailure {
  const { status } = res;
  if (status >= 300 && status < 400) {
    const to = res.headers.location ? ` to ${res.headers.location}` : '';
    return permanent(
      'processing',
      `${what}: the destination answered ${status} (redirect${to}); redirects are never followed — register the final URL as the destination's baseUrl`,
    );
  }
  const base = issue({
    code: codeForStatus(status),
    text: `${what}: the destination answered HTTP ${status}`,
  });
  const oo = outcome([base, ...serverIssues(res.body)]);
  if (status === 408 || status === 429 || status >= 500) {
    const f: DeliveryFailure = { kind: 'retry', reason: `HTTP ${status}`, outcome: oo };
    const after = parseRetryAfter(res.headers['retry-after'], nowMs);
    if (after !== undefined) f.retryAfterMs = after;
    return f;
  }
  return { kind: 'permanent', outcome: oo };
}

/** Classifies a request that got no response. A guard refusal is permanent; the rest retry. */
export function classifyHttpError(err: HttpError, what: string): DeliveryFailure {
  if (err.kind === 'refused') {
    return permanent('security', `${what}: refused by the URL guard: ${err.message}`);
  }
  return retry(err.kind, `${what}: ${err.message}`);
}
