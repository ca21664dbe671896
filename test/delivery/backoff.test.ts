import { nextRetry, type BackoffPolicy } from '../../src/outbox/backoff';

const policy: BackoffPolicy = { retryBaseMs: 1000, maxDelayMs: 60_000, maxAttempts: 5 };

describe('backoff with full jitter', () => {
  test.each([
    [1, 0.5, 500],
    [2, 0.5, 1000],
    [3, 0.5, 2000],
    [4, 0.999, 7992],
    [1, 0, 0],
  ])('after attempt %d with random %d the delay is %d ms', (attempt, r, expected) => {
    expect(nextRetry(policy, attempt, () => r)).toEqual({ kind: 'retry', delayMs: expected });
  });

  test('the bound is capped at maxDelayMs', () => {
    const wide = { ...policy, maxAttempts: 100 };
    expect(nextRetry(wide, 40, () => 0.999999)).toEqual({ kind: 'retry', delayMs: 59_999 });
  });

  test('after maxAttempts attempts the item is dead', () => {
    expect(nextRetry(policy, 5, () => 0.5)).toEqual({ kind: 'dead' });
    expect(nextRetry(policy, 6, () => 0.5)).toEqual({ kind: 'dead' });
  });

  test('Retry-After is a floor on the delay, and clipped at maxRetryAfterMs', () => {
    expect(nextRetry(policy, 1, () => 0.5, 120_000)).toEqual({ kind: 'retry', delayMs: 120_000 });
    expect(nextRetry(policy, 3, () => 0.9, 10)).toEqual({ kind: 'retry', delayMs: 3600 });
    expect(nextRetry({ ...policy, maxRetryAfterMs: 300_000 }, 1, () => 0, 10 ** 9)).toEqual({
      kind: 'retry',
      delayMs: 300_000,
    });
  });

  test('delays over many draws stay inside [0, bound)', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    for (let attempt = 1; attempt < 5; attempt++) {
      for (let i = 0; i < 200; i++) {
        const d = nextRetry(policy, attempt, random);
        if (d.kind !== 'retry') throw new Error('unexpected dead');
        expect(d.delayMs).toBeGreaterThanOrEqual(0);
        expect(d.delayMs).toBeLessThan(1000 * 2 ** (attempt - 1));
      }
    }
  });
});
