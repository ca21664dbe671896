/**
 * How one attempt at an outbox row ended (DESIGN.md §6): the one vocabulary the relay answers,
 * the attempt record and its AuditEvent store, the metrics count and the `sync` summary sums
 * (each of those last two has its own spelling, a contract, mapped from this one).
 *
 * `delivered`: the destination holds the unit (a disclosure, 45 CFR 164.528). `withheld`: the
 * consent denies it. `awaiting`: no consent applies yet. `retry`: failed, tried again later.
 * `dead`: failed, given up. `lost`: the lease was gone mid-attempt; the worker that took the row
 * over accounts for it.
 */
export type AttemptResult = 'delivered' | 'withheld' | 'awaiting' | 'retry' | 'dead' | 'lost';

/** The results an attempt record carries: a lost attempt records nothing. */
export type RecordedAttemptResult = Exclude<AttemptResult, 'lost'>;

/**
 * The results of a disclosure attempt, each with an AuditEvent (45 CFR 164.312(b)): waiting for a
 * consent tries to disclose nothing.
 */
export type AuditedAttemptResult = Exclude<RecordedAttemptResult, 'awaiting'>;
