/**
 * The outbox states and the sets of them that rules are written against (DESIGN.md §6): the
 * one place that says which states exist and which of them a rule applies to. The stores build
 * their SQL guards from these sets, the relay and the planner their transitions, the CLI and the
 * HTTP routes their choices and messages, so none of them can drift from another.
 */

/**
 * Each state by name. `awaiting-consent` = no consent yet (re-evaluated when one is recorded);
 * `withheld` = consent denies; `dead` = gave up (see `lastOutcome`); `cancelled` = replaced by a
 * newer version, or cancelled by a person. Key order is the order states are listed in.
 */
export const STATE = {
  awaitingConsent: 'awaiting-consent',
  queued: 'queued',
  inFlight: 'in-flight',
  delivered: 'delivered',
  withheld: 'withheld',
  retryWait: 'retry-wait',
  dead: 'dead',
  cancelled: 'cancelled',
} as const;

/** The state of one outbox row. */
export type OutboxState = (typeof STATE)[keyof typeof STATE];

/** Every state, in the order they are listed (CLI choices, metrics). */
export const OUTBOX_STATES: readonly OutboxState[] = Object.values(STATE);

/** States in which a row will not be delivered without a person acting (not "undelivered"). */
export const SETTLED_STATES: readonly OutboxState[] = [STATE.delivered, STATE.withheld, STATE.cancelled];

/**
 * States of a row that may still reach the clinician without anyone acting: the rows counted
 * "at risk" when their integration window closes within 24 h (DESIGN.md §6).
 */
export const UNDELIVERED_STATES: readonly OutboxState[] = OUTBOX_STATES.filter(
  (s) => !SETTLED_STATES.includes(s),
);

/** States an operator retry may start from (DESIGN.md §6 "operators can … retry"). */
export const RETRYABLE_STATES: readonly OutboxState[] = [
  STATE.dead,
  STATE.retryWait,
  STATE.withheld,
  STATE.awaitingConsent,
  STATE.cancelled,
];

/** States an operator replay may start from: only a delivered row is sent again. */
export const REPLAYABLE_STATES: readonly OutboxState[] = [STATE.delivered];

/**
 * States in which an older version's row has not left and is cancelled when a newer version of
 * the same resource is enqueued: only the latest content should reach the clinician.
 */
export const REPLACEABLE_STATES: readonly OutboxState[] = [
  STATE.awaitingConsent,
  STATE.queued,
  STATE.retryWait,
  STATE.withheld,
];

/**
 * States decided again when the client's consents change (DESIGN.md §6). `in-flight` rows are
 * the relay's (it re-checks consent before sending); `withheld` stays withheld (a later consent
 * does not release what a denial held back; an operator retry does).
 */
export const REDECIDABLE_STATES: readonly OutboxState[] = [
  STATE.awaitingConsent,
  STATE.queued,
  STATE.retryWait,
];

/** States a relay leases a row from once its `nextAttemptAt` has passed (or is null). */
export const DUE_STATES: readonly OutboxState[] = [STATE.queued, STATE.retryWait];

/**
 * The states of a row a worker holds a lease on: its attempt may finish only from here, and
 * another worker takes it over when the lease has expired (a crashed worker).
 */
export const LEASED_STATES: readonly OutboxState[] = [STATE.inFlight];

/** True when `value` names an outbox state (for parsing filters given as text). */
export function isOutboxState(value: string): value is OutboxState {
  return (OUTBOX_STATES as readonly string[]).includes(value);
}

/** "a, b or c": a state set in a sentence (help texts, conflict messages). */
export function listStates(states: readonly OutboxState[]): string {
  return states.length < 2 ? states.join('') : `${states.slice(0, -1).join(', ')} or ${states.at(-1) ?? ''}`;
}
