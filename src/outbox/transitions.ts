import type { OperationOutcome } from '@medplum/fhirtypes';
import type { DecisionKind } from '../consent';
import {
  DUE_STATES,
  LEASED_STATES,
  REDECIDABLE_STATES,
  REPLACEABLE_STATES,
  REPLAYABLE_STATES,
  RETRYABLE_STATES,
  STATE,
  type OutboxState,
} from './states';

/**
 * The outbox transitions (DESIGN.md §6) as pure functions: each returns the states it may start
 * from and the patch that moves the row. The stores apply them as compare-and-set guards
 * (`transitionOutbox(id, t.from, t.patch)`, the lease-checked attempt updates), so a row moved
 * meanwhile by someone else is left alone. Time comes in as arguments: no clock here.
 */

/** The fields a transition may set on a row (a subset of the store's `OutboxPatch`). */
export interface StatePatch {
  state: OutboxState;
  nextAttemptAt?: Date | null;
  leaseOwner?: string | null;
  leaseUntil?: Date | null;
  attempts?: number;
  deliveredAt?: Date | null;
  lastOutcome?: OperationOutcome | null;
  late?: boolean;
  consentRef?: string | null;
}

/** A transition: the states it is allowed from and what it writes. */
export interface Transition<P extends StatePatch = StatePatch> {
  from: readonly OutboxState[];
  patch: P;
}

/** What a new row starts with. */
export interface NewRowState {
  state: OutboxState;
  nextAttemptAt: Date | null;
}

const ATTEMPT_FROM = LEASED_STATES;

/**
 * The state and due time of a new row from the consent decision of the moment: `permit` →
 * `queued` (due now), `no-consent` → `awaiting-consent` (re-evaluated when a consent is recorded),
 * `deny` → `withheld`. A new row has no state to come from.
 */
export function enqueued(decision: DecisionKind, now: Date): NewRowState {
  return enqueuedAs(stateForDecision(decision), now);
}

/** A new row's state and due time: a `queued` row is due now, any other waits to be moved. */
export function enqueuedAs(state: OutboxState, now: Date): NewRowState {
  return { state, nextAttemptAt: state === STATE.queued ? now : null };
}

/** The state a consent decision puts a row that has not left in. */
export function stateForDecision(decision: DecisionKind): OutboxState {
  if (decision === 'permit') return STATE.queued;
  return decision === 'deny' ? STATE.withheld : STATE.awaitingConsent;
}

/**
 * A consent change re-decides a row that has not left. Null when the row keeps its state: it is
 * not re-decidable, the decision is unchanged, or it waits for a retry that consent now permits
 * (its backoff stands). The guard is the state the decision was made from.
 */
export function redecided(
  current: OutboxState,
  decision: DecisionKind,
  consentRef: string | null,
  now: Date,
): Transition | null {
  if (!REDECIDABLE_STATES.includes(current)) return null;
  const next = enqueued(decision, now);
  if (next.state === current || (current === STATE.retryWait && next.state === STATE.queued)) return null;
  return { from: [current], patch: { ...next, consentRef } };
}

/**
 * A worker leases a due row (or takes over a row whose lease expired) until `until`. Whether a
 * row is due (`nextAttemptAt`, lease expiry) is the store's query; this names the states.
 */
export function leased(owner: string, until: Date): Transition {
  return {
    from: [...DUE_STATES, ...LEASED_STATES],
    patch: { state: STATE.inFlight, leaseOwner: owner, leaseUntil: until },
  };
}

/** The attempt reached the destination (or found it already there): `delivered`. */
export function attemptDelivered(input: {
  deliveredAt: Date;
  late: boolean;
  consentRef: string | null;
}): Transition {
  return {
    from: ATTEMPT_FROM,
    patch: {
      state: STATE.delivered,
      deliveredAt: input.deliveredAt,
      late: input.late,
      lastOutcome: null,
      consentRef: input.consentRef,
      nextAttemptAt: null,
    },
  };
}

/**
 * A transient failure with attempts left: `retry-wait` until `at + delayMs` (the backoff, with
 * jitter and `Retry-After`, is decided by the caller). `late` is set when known.
 */
export function attemptRetryWait(input: {
  at: Date;
  delayMs: number;
  lastOutcome: OperationOutcome;
  late?: boolean;
}): Transition {
  return {
    from: ATTEMPT_FROM,
    patch: {
      state: STATE.retryWait,
      nextAttemptAt: new Date(input.at.getTime() + input.delayMs),
      lastOutcome: input.lastOutcome,
      ...(input.late === undefined ? {} : { late: input.late }),
    },
  };
}

/** A permanent failure, or the attempts are used up: `dead`, keeping the last outcome. */
export function attemptDead(lastOutcome: OperationOutcome): Transition {
  return { from: ATTEMPT_FROM, patch: { state: STATE.dead, lastOutcome, nextAttemptAt: null } };
}

/** Consent denied at send time: `withheld`, naming the consent that decided it. */
export function attemptWithheld(consentRef: string | null): Transition {
  return { from: ATTEMPT_FROM, patch: { state: STATE.withheld, nextAttemptAt: null, consentRef } };
}

/** No consent applies at send time: back to `awaiting-consent` until one is recorded. */
export function attemptAwaitingConsent(): Transition {
  return {
    from: ATTEMPT_FROM,
    patch: { state: STATE.awaitingConsent, nextAttemptAt: null, consentRef: null },
  };
}

/**
 * An attempt that threw is a failed attempt like any other (DESIGN.md §6): `retry-wait` while
 * the backoff gives a delay, `dead` when it gives none (attempts used up).
 */
export function attemptThrew(at: Date, delayMs: number | null, lastOutcome: OperationOutcome): Transition {
  return delayMs === null ? attemptDead(lastOutcome) : attemptRetryWait({ at, delayMs, lastOutcome });
}

/**
 * The row's destination is not registered: not an attempt (nothing was tried), so the row waits
 * in `retry-wait` and its lease is released without counting an attempt.
 */
export function deferredUnknownDestination(
  at: Date,
  waitMs: number,
  lastOutcome: OperationOutcome,
): Transition {
  const wait = attemptRetryWait({ at, delayMs: waitMs, lastOutcome });
  return { from: wait.from, patch: { ...wait.patch, leaseOwner: null, leaseUntil: null } };
}

/** Operator retry: queued again, due now, with a fresh attempt budget (consent is re-checked). */
export function operatorRetry(now: Date): Transition {
  return { from: RETRYABLE_STATES, patch: requeue(now) };
}

/** Operator replay of a delivered row (conditional operations keep one copy at the destination). */
export function operatorReplay(now: Date): Transition {
  return { from: REPLAYABLE_STATES, patch: { ...requeue(now), deliveredAt: null } };
}

/** An older version's row that has not left is cancelled when a newer version is enqueued. */
export function cancelledByNewerVersion(): Transition {
  return { from: REPLACEABLE_STATES, patch: { state: STATE.cancelled } };
}

function requeue(now: Date): StatePatch {
  return { state: STATE.queued, nextAttemptAt: now, attempts: 0, leaseOwner: null, leaseUntil: null };
}
