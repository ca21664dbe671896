import type { Consent, OperationOutcome } from '@medplum/fhirtypes';
import { errorOutcome, issue, outcome } from '../../fhir/outcomes';
import { validateAll } from '../validate-resources';
import { rememberOutcomes } from './remembered-outcomes';
import { createDestinationSlots, type DestinationSlots } from './destination-slots';
import { drainPipelined, runLeased } from './relay-lanes';
import { shareReads, type SharedReads } from './shared-reads';
import { createAttemptRecorder, type AttemptRecorder } from './attempt-recorder';
import {
  attemptAwaitingConsent,
  attemptDead,
  attemptDelivered,
  attemptRetryWait,
  attemptThrew,
  attemptWithheld,
  deferredUnknownDestination,
} from '../../outbox';
import type { OutboxRow } from '../ports/store-port';
import type { Destination } from '../ports/destination-port';
import { nextRetry, type BackoffPolicy } from '../../outbox/backoff';
import type { PushResult } from '../../outbox/delivery-unit';
import { committedAttemptStart, finishAttempt, outcomeText, type AttemptEnd } from './relay-attempt';
import { planDisclosure, type DisclosurePlan } from './relay-plan';
import { buildDeliveryUnit, type BuiltUnit } from './relay-unit';
import { errorName, thrownReason } from '../../outbox/thrown-attempt';
import type { AttemptResult } from '../../outbox/attempt-result';
import { SUMMARY_FIELD, type Relay, type RelayDeps, type RunSummary } from './relay-types';

export type { Relay, RelayConfig, RelayDeps, RelayLogger, RunSummary } from './relay-types';

/**
 * The relay (DESIGN.md §6): leases due outbox rows (earliest integration-window deadline first; a
 * crashed worker's expired lease is taken over), decides consent again at that moment, redacts,
 * builds the delivery unit, validates it, pushes it through the FHIR gateway and records the
 * attempt, the row's next state and an AuditEvent. A failure of one destination (refused, auth,
 * down) affects only that destination's rows. Read it in order: lease (`runLeased`, relay-lanes.ts) → plan
 * (`planRow`) → decide (`endWithoutPush`) → push (`pushUnit`) → record (`endOfPush`, `finish`).
 */
export function createRelay(deps: RelayDeps): Relay {
  const run: RelayRun = {
    deps: { ...deps, validator: rememberOutcomes(deps.validator) },
    slots: createDestinationSlots(deps.config.perDestination ?? DEFAULT_PER_DESTINATION),
    record: createAttemptRecorder(deps.store),
    policy: {
      retryBaseMs: deps.config.retryBaseMs,
      maxAttempts: deps.config.maxAttempts,
      maxDelayMs: deps.config.maxDelayMs ?? 3_600_000,
    },
  };
  const attempt = (row: OutboxRow, reads: SharedReads): Promise<AttemptResult> => attemptRow(run, row, reads);
  const share = (): SharedReads => shareReads(deps.store);
  const runOnce = (options: { limit?: number } = {}): Promise<RunSummary> =>
    runLeased(deps, options.limit ?? 50, attempt, share);
  const drain = (options: { limit?: number } = {}): Promise<RunSummary> =>
    drainPipelined(deps, options.limit ?? 50, attempt, share);
  return { runOnce, drain };
}

/**
 * Pushes in flight to one destination at once: fewer than the workers (relay-lanes.ts), so that
 * a row's decision, validation and record overlap other rows' pushes.
 */
const DEFAULT_PER_DESTINATION = 4;

/** The relay's dependencies, its retry policy and the destinations' push slots, passed to each step. */
interface RelayRun {
  deps: RelayDeps;
  slots: DestinationSlots;
  record: AttemptRecorder;
  policy: BackoffPolicy;
}

/** One row's attempt, whatever it ends in (a throw included), timed and logged without PHI. */
async function attemptRow(run: RelayRun, row: OutboxRow, reads: SharedReads): Promise<AttemptResult> {
  const { deps } = run;
  const startedAt = deps.clock();
  let result: AttemptResult;
  try {
    result = await planRow(run, row, startedAt, reads);
  } catch (err) {
    result = await failThrownAttempt(run, row, startedAt, err);
  }
  const seconds = (deps.clock().getTime() - startedAt.getTime()) / 1000;
  deps.metrics?.observeDelivery(result, seconds);
  deps.logger?.info(
    // The log line names the result as the `sync` summary does (`retried`), as it always has.
    {
      outboxId: row.id,
      destination: row.destinationId,
      type: row.resourceType,
      result: SUMMARY_FIELD[result],
    },
    'relay: attempt finished',
  );
  return result;
}

/** Plan: the destination, the stored version and the consents of this moment decide what goes. */
async function planRow(
  run: RelayRun,
  row: OutboxRow,
  startedAt: Date,
  reads: SharedReads,
): Promise<AttemptResult> {
  const { deps } = run;
  const dest = deps.destinations.getDestination(row.destinationId);
  if (!dest) return deferUnknownDestination(run, row, startedAt);
  const stored = await deps.store.getResource(row.resourceType, row.resourceId, row.resourceVersion);
  if (!stored) {
    const oo = errorOutcome(
      'not-found',
      `${row.resourceType} version ${row.resourceVersion} is not in the store`,
    );
    return finish(run, row, startedAt, failed('dead', oo, [], null));
  }
  const consents = (
    await deps.store.listResources({ resourceType: 'Consent', patientMrn: row.patientMrn })
  ).map((s) => s.resource as Consent);
  const plan = await planDisclosure({
    store: deps.store,
    row,
    stored,
    consents,
    now: startedAt,
    timeZone: deps.config.timeZone,
  });
  const self = `${stored.resourceType}/${stored.id}/_history/${stored.versionId}`;
  const end = plan.kind === 'send' ? await pushUnit(run, row, dest, plan, reads) : endWithoutPush(plan, self);
  if (end === LEASE_RAN_OUT) {
    deps.logger?.warn({ outboxId: row.id }, 'relay: the lease ran out before the push; the row is given up');
    return 'lost';
  }
  return finish(run, row, startedAt, end);
}

/** Decide: no consent applies yet (the row waits), or the consent withholds everything. */
function endWithoutPush(plan: Exclude<DisclosurePlan, { kind: 'send' }>, self: string): AttemptEnd {
  const common = { httpStatus: null, outcome: null, resources: [self] };
  if (plan.kind === 'awaiting-consent') {
    return {
      ...common,
      result: 'awaiting',
      patch: attemptAwaitingConsent().patch,
      consentRef: null,
      sections: [],
      description: 'no consent applies: waiting for one',
    };
  }
  return {
    ...common,
    result: 'withheld',
    patch: attemptWithheld(plan.consentRef).patch,
    consentRef: plan.consentRef,
    sections: plan.sections,
    description: `withheld: ${plan.reason}`,
  };
}

/** A push not made because the row's lease no longer covers it (see {@link leaseCoversPush}). */
const LEASE_RAN_OUT = 'lease-ran-out';

/**
 * Whether the row's lease still covers a push. A worker slowed or paused past its lease must not
 * push (DESIGN.md §6): another worker may hold the row by now, and the client may have revoked
 * since this attempt decided. A push may take the HTTP timeout, which the composition sets to at
 * most a third of the lease, so that much must be left. The row is given up unrecorded (`lost`);
 * whoever leases it next decides consent again.
 */
function leaseCoversPush(row: OutboxRow, now: Date, leaseMs: number): boolean {
  return row.leaseUntil !== null && row.leaseUntil.getTime() - now.getTime() >= leaseMs / 3;
}

/** Push: builds the unit, refuses to send an invalid one (DESIGN.md §4), and pushes it. */
async function pushUnit(
  run: RelayRun,
  row: OutboxRow,
  dest: Destination,
  plan: Extract<DisclosurePlan, { kind: 'send' }>,
  reads: SharedReads,
): Promise<AttemptEnd | typeof LEASE_RAN_OUT> {
  const { deps } = run;
  const built = await buildDeliveryUnit(deps.store, reads, plan.mains);
  const checked = validateAll(
    deps.validator,
    built.unit.map((item) => item.resource),
    (r) => `outgoing ${r.resourceType}`,
  );
  if (!checked.ok) return failed('dead', checked.outcome, built.references, plan.consentRef);
  const pushed = await run.slots.withSlot(dest.id, async () => {
    // Checked once the slot is held: waiting for it may have used up the lease.
    if (!leaseCoversPush(row, deps.clock(), deps.config.leaseMs)) return LEASE_RAN_OUT;
    return deps.gateway.push(dest, built.unit);
  });
  if (pushed === LEASE_RAN_OUT) return LEASE_RAN_OUT;
  return endOfPush(run, row, pushed, { built, consentRef: plan.consentRef, sections: plan.sections });
}

/** What was pushed, and under which consent: what the attempt's audit records. */
interface Pushed {
  built: BuiltUnit;
  consentRef: string | null;
  sections: string[];
}

/** Record: a delivery, or a failure that is retried with backoff or ends the row `dead`. */
async function endOfPush(
  run: RelayRun,
  row: OutboxRow,
  pushed: PushResult,
  sent: Pushed,
): Promise<AttemptEnd> {
  const now = run.deps.clock();
  const late = row.deadline !== null && now.getTime() > row.deadline.getTime();
  if (pushed.kind === 'delivered') return deliveredEnd(run, row, pushed, sent, { now, late });
  const { built, consentRef, sections } = sent;
  const httpStatus = pushed.httpStatus ?? null;
  const decision =
    pushed.kind === 'permanent'
      ? ({ kind: 'dead' } as const)
      : nextRetry(run.policy, row.attempts + 1, run.deps.random, pushed.retryAfterMs);
  if (decision.kind === 'dead')
    return { ...failed('dead', pushed.outcome, built.references, consentRef), httpStatus, sections };
  return {
    ...failed('retry', pushed.outcome, built.references, consentRef),
    httpStatus,
    patch: attemptRetryWait({ at: now, delayMs: decision.delayMs, lastOutcome: pushed.outcome, late }).patch,
    sections,
  };
}

/**
 * A delivered push. When the destination already held the unit (an earlier attempt committed
 * but its answer was lost), the disclosure dates from that earlier attempt.
 */
async function deliveredEnd(
  run: RelayRun,
  row: OutboxRow,
  pushed: Extract<PushResult, { kind: 'delivered' }>,
  { built, consentRef, sections }: Pushed,
  at: { now: Date; late: boolean },
): Promise<AttemptEnd> {
  const disclosedAt = pushed.alreadyThere
    ? committedAttemptStart(await run.deps.store.listAttempts(row.id))
    : undefined;
  return {
    result: 'delivered',
    patch: attemptDelivered({ deliveredAt: disclosedAt ?? at.now, late: at.late, consentRef }).patch,
    httpStatus: pushed.httpStatus ?? null,
    outcome: null,
    resources: built.references,
    consentRef,
    sections,
    description: pushed.alreadyThere
      ? 'delivered (the destination already held it: an earlier attempt committed)'
      : 'delivered',
    ...(disclosedAt ? { disclosedAt } : {}),
    ...(pushed.alreadyThere ? { alreadyThere: true } : {}),
  };
}

/**
 * An attempt that threw (a bug, an item that cannot be built) is a failed attempt like any
 * other (DESIGN.md §6): it counts towards the bounded attempts and ends `dead` with a readable
 * reason, so the row is neither leased again forever nor allowed to fail the rest of the drain.
 * The reason names the error's kind only: a message may carry record content (PHI) and a stack
 * is not for operators. When even recording the failure throws (a broken store), the row is
 * left to its lease expiry and counted as lost.
 */
async function failThrownAttempt(
  run: RelayRun,
  row: OutboxRow,
  startedAt: Date,
  err: unknown,
): Promise<AttemptResult> {
  const { deps } = run;
  const reason = thrownReason(err);
  deps.logger?.warn({ outboxId: row.id, error: errorName(err) }, 'relay: attempt threw');
  const oo = errorOutcome('exception', reason);
  const decision = nextRetry(run.policy, row.attempts + 1, deps.random);
  const end = failed(decision.kind === 'dead' ? 'dead' : 'retry', oo, [], null);
  end.patch = attemptThrew(deps.clock(), decision.kind === 'retry' ? decision.delayMs : null, oo).patch;
  try {
    return await finish(run, row, startedAt, end);
  } catch (again) {
    deps.logger?.warn(
      { outboxId: row.id, error: errorName(again) },
      'relay: a thrown attempt could not be recorded; the row waits for its lease to expire',
    );
    return 'lost';
  }
}

/** Not an attempt (nothing was tried): the row waits until the destination is registered. */
async function deferUnknownDestination(
  run: RelayRun,
  row: OutboxRow,
  startedAt: Date,
): Promise<AttemptResult> {
  const { deps } = run;
  const wait = deps.config.unknownDestinationDelayMs ?? 300_000;
  const oo = outcome([
    issue({
      code: 'not-found',
      text: `destination "${row.destinationId}" is not registered: the item waits until it is configured`,
    }),
  ]);
  const moved = await deps.store.updateOutboxState(
    row.id,
    deps.config.owner,
    deferredUnknownDestination(startedAt, wait, oo).patch,
    startedAt,
  );
  return moved ? 'retry' : 'lost';
}

/** Records the attempt, the row's next state and the AuditEvent in one transaction. */
function finish(run: RelayRun, row: OutboxRow, startedAt: Date, end: AttemptEnd): Promise<AttemptResult> {
  return finishAttempt(run.deps, run.record, row, startedAt, end);
}

/** A failed attempt: `dead` keeps the outcome on the row; the audit records it as failed. */
function failed(
  result: 'dead' | 'retry',
  oo: OperationOutcome,
  resources: string[],
  consentRef: string | null,
): AttemptEnd {
  return {
    result,
    patch: attemptDead(oo).patch,
    httpStatus: null,
    outcome: oo,
    resources,
    consentRef,
    sections: [],
    description: `${result === 'dead' ? 'failed' : 'will retry'}: ${outcomeText(oo)}`,
  };
}
