import type { OperationOutcome } from '@medplum/fhirtypes';
import {
  attemptAwaitingConsent,
  attemptDead,
  attemptDelivered,
  attemptRetryWait,
  attemptThrew,
  attemptWithheld,
  cancelledByNewerVersion,
  deferredUnknownDestination,
  enqueued,
  leased,
  operatorReplay,
  operatorRetry,
  OUTBOX_STATES,
  redecided,
  type OutboxState,
  type Transition,
} from '../../src/outbox';

/**
 * The outbox state machine as data (DESIGN.md §6): for every event, what each state becomes —
 * the target state, `refused` (the guard does not allow it), or `unchanged` (a consent
 * re-decision that leaves the row as it is). Every state appears in every row of the table.
 */

const NOW = new Date('2025-03-20T10:00:00.000Z');
const OO: OperationOutcome = {
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'error', code: 'transient' }],
};

type Outcome = OutboxState | 'refused' | 'unchanged';

/** Each event, as the function under test applied to a row in state `from`. */
const EVENTS: Record<string, (from: OutboxState) => Transition | null> = {
  'consent now permits': (from) => redecided(from, 'permit', 'Consent/c/_history/1', NOW),
  'consent now denies': (from) => redecided(from, 'deny', 'Consent/c/_history/2', NOW),
  'no consent applies any more': (from) => redecided(from, 'no-consent', null, NOW),
  'a worker leases it': () => leased('worker-1', new Date(NOW.getTime() + 60_000)),
  'the attempt delivered it': () => attemptDelivered({ deliveredAt: NOW, late: false, consentRef: null }),
  'the attempt failed, attempts left': () => attemptRetryWait({ at: NOW, delayMs: 1000, lastOutcome: OO }),
  'the attempt failed for good': () => attemptDead(OO),
  'consent denied at send time': () => attemptWithheld('Consent/c/_history/2'),
  'no consent at send time': () => attemptAwaitingConsent(),
  'the attempt threw, attempts left': () => attemptThrew(NOW, 1000, OO),
  'the attempt threw, attempts used up': () => attemptThrew(NOW, null, OO),
  'its destination is not registered': () => deferredUnknownDestination(NOW, 300_000, OO),
  'an operator retries it': () => operatorRetry(NOW),
  'an operator replays it': () => operatorReplay(NOW),
  'a newer version is enqueued': () => cancelledByNewerVersion(),
};

// Columns: awaiting-consent, queued, in-flight, delivered, withheld, retry-wait, dead, cancelled.
const R = 'refused' as const;
const U = 'unchanged' as const;
const TABLE: Record<keyof typeof EVENTS, Outcome[]> = {
  'consent now permits': ['queued', U, U, U, U, U, U, U],
  'consent now denies': ['withheld', 'withheld', U, U, U, 'withheld', U, U],
  'no consent applies any more': [U, 'awaiting-consent', U, U, U, 'awaiting-consent', U, U],
  'a worker leases it': [R, 'in-flight', 'in-flight', R, R, 'in-flight', R, R],
  'the attempt delivered it': [R, R, 'delivered', R, R, R, R, R],
  'the attempt failed, attempts left': [R, R, 'retry-wait', R, R, R, R, R],
  'the attempt failed for good': [R, R, 'dead', R, R, R, R, R],
  'consent denied at send time': [R, R, 'withheld', R, R, R, R, R],
  'no consent at send time': [R, R, 'awaiting-consent', R, R, R, R, R],
  'the attempt threw, attempts left': [R, R, 'retry-wait', R, R, R, R, R],
  'the attempt threw, attempts used up': [R, R, 'dead', R, R, R, R, R],
  'its destination is not registered': [R, R, 'retry-wait', R, R, R, R, R],
  'an operator retries it': ['queued', R, R, R, 'queued', 'queued', 'queued', 'queued'],
  'an operator replays it': [R, R, R, 'queued', R, R, R, R],
  'a newer version is enqueued': ['cancelled', 'cancelled', R, R, 'cancelled', 'cancelled', R, R],
};

const COLUMNS: OutboxState[] = [
  'awaiting-consent',
  'queued',
  'in-flight',
  'delivered',
  'withheld',
  'retry-wait',
  'dead',
  'cancelled',
];

const CASES = Object.entries(TABLE).flatMap(([event, outcomes]) =>
  COLUMNS.map((from, i) => ({ event, from, expected: outcomes[i] as Outcome })),
);

/** What the transition does to a row in `from`: the guard decides first, then the patch. */
function apply(event: string, from: OutboxState): Outcome {
  const t = EVENTS[event]?.(from);
  if (t === undefined) throw new Error(`no event ${event}`);
  if (t === null) return 'unchanged';
  return t.from.includes(from) ? t.patch.state : 'refused';
}

describe('outbox transitions (state × event table)', () => {
  test('the table has a column for every state and a row for every event', () => {
    expect([...COLUMNS].sort()).toEqual([...OUTBOX_STATES].sort());
    expect(Object.keys(TABLE).sort()).toEqual(Object.keys(EVENTS).sort());
    for (const outcomes of Object.values(TABLE)) expect(outcomes).toHaveLength(COLUMNS.length);
  });

  test.each(CASES)('a row in $from when $event: $expected', ({ event, from, expected }) => {
    expect(apply(event, from)).toBe(expected);
  });
});

describe('outbox transition patches', () => {
  test.each([
    ['permit', 'queued', NOW],
    ['no-consent', 'awaiting-consent', null],
    ['deny', 'withheld', null],
  ] as const)('enqueued with a %s decision, a new row is %s and due at %s', (decision, state, due) => {
    expect(enqueued(decision, NOW)).toEqual({ state, nextAttemptAt: due });
  });

  test('a re-decision that queues a row makes it due now and names the consent', () => {
    expect(redecided('awaiting-consent', 'permit', 'Consent/c/_history/1', NOW)?.patch).toEqual({
      state: 'queued',
      nextAttemptAt: NOW,
      consentRef: 'Consent/c/_history/1',
    });
  });

  test('a re-decision is guarded by the state it was decided from only', () => {
    expect(redecided('queued', 'deny', 'Consent/c/_history/2', NOW)?.from).toEqual(['queued']);
  });

  test('a failed attempt waits for the backoff delay passed in, counted from the time passed in', () => {
    const t = attemptRetryWait({ at: NOW, delayMs: 1500, lastOutcome: OO, late: true });
    expect(t.patch).toEqual({
      state: 'retry-wait',
      nextAttemptAt: new Date(NOW.getTime() + 1500),
      lastOutcome: OO,
      late: true,
    });
  });

  test('a thrown attempt with attempts used up is dead with its reason and no due time', () => {
    expect(attemptThrew(NOW, null, OO).patch).toEqual({
      state: 'dead',
      lastOutcome: OO,
      nextAttemptAt: null,
    });
  });

  test('an unknown destination releases the lease (not an attempt) and waits', () => {
    expect(deferredUnknownDestination(NOW, 300_000, OO).patch).toMatchObject({
      state: 'retry-wait',
      nextAttemptAt: new Date(NOW.getTime() + 300_000),
      leaseOwner: null,
      leaseUntil: null,
    });
  });

  test('an operator retry queues the row due now with a fresh attempt budget and no lease', () => {
    expect(operatorRetry(NOW).patch).toEqual({
      state: 'queued',
      nextAttemptAt: NOW,
      attempts: 0,
      leaseOwner: null,
      leaseUntil: null,
    });
  });

  test('an operator replay also clears the delivery time', () => {
    expect(operatorReplay(NOW).patch).toMatchObject({ state: 'queued', deliveredAt: null, attempts: 0 });
  });

  test('a delivered attempt clears the last outcome and the due time', () => {
    expect(
      attemptDelivered({ deliveredAt: NOW, late: true, consentRef: 'Consent/c/_history/1' }).patch,
    ).toEqual({
      state: 'delivered',
      deliveredAt: NOW,
      late: true,
      lastOutcome: null,
      consentRef: 'Consent/c/_history/1',
      nextAttemptAt: null,
    });
  });
});
