/**
 * Backoff between delivery attempts (DESIGN.md §6): exponential with "full jitter" (a uniform
 * draw between 0 and the exponential bound — AWS Architecture Blog, "Exponential Backoff and
 * Jitter", 2015), capped, with a bounded number of attempts. A destination's `Retry-After`
 * (RFC 9110 §10.2.3) is a floor. Pure: the random source is injected.
 */

export interface BackoffPolicy {
  /** First bound (`KAP_BRIDGE_RETRY_BASE_MS`). */
  retryBaseMs: number;
  /** Upper bound of any computed delay. */
  maxDelayMs: number;
  /** Attempts in total, the first included (`KAP_BRIDGE_RETRY_MAX_ATTEMPTS`); then `dead`. */
  maxAttempts: number;
  /** A Retry-After longer than this is clipped (a hostile or broken server). Default 24 h. */
  maxRetryAfterMs?: number;
}

export type BackoffDecision = { kind: 'retry'; delayMs: number } | { kind: 'dead' };

/**
 * What to do after the `attemptsMade`-th failed attempt (1 after the first failure).
 * `random` returns a number in [0, 1), like `Math.random`.
 */
export function nextRetry(
  policy: BackoffPolicy,
  attemptsMade: number,
  random: () => number,
  retryAfterMs?: number,
): BackoffDecision {
  if (attemptsMade >= policy.maxAttempts) return { kind: 'dead' };
  const exponent = Math.min(Math.max(attemptsMade - 1, 0), 52);
  const bound = Math.min(policy.maxDelayMs, policy.retryBaseMs * 2 ** exponent);
  const jittered = Math.floor(Math.min(Math.max(random(), 0), 1) * bound);
  const floor =
    retryAfterMs === undefined
      ? 0
      : Math.min(Math.max(retryAfterMs, 0), policy.maxRetryAfterMs ?? 86_400_000);
  return { kind: 'retry', delayMs: Math.max(jittered, floor) };
}
