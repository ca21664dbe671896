import type { Consent, OperationOutcome } from '@medplum/fhirtypes';
import { errorOutcome, issue, outcome } from '../../fhir/outcomes';
import { validateAll } from '../validate-resources';
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
import { nextRetry } from '../../outbox/backoff';
import type { PushResult } from '../../outbox/delivery-unit';
import { committedAttemptStart, finishAttempt, outcomeText, type AttemptEnd } from './relay-attempt';
import { planDisclosure } from './relay-plan';
import { buildDeliveryUnit, type BuiltUnit } from './relay-unit';
import { errorName, thrownReason } from '../../outbox/thrown-attempt';
import {
  emptySummary,
  type DeliveryOutcome,
  type Relay,
  type RelayDeps,
  type RowResult,
  type RunSummary,
} from './relay-types';

export type { Relay, RelayConfig, RelayDeps, RelayLogger, RunSummary } from './relay-types';

/**
 * The relay (DESIGN.md §6): leases due outbox rows (earliest integration-window deadline first; a
 * crashed worker's expired lease is taken over), decides consent again at that moment, redacts,
 * builds the delivery unit, validates it, pushes it through the FHIR gateway and records the
 * attempt, the row's next state and an AuditEvent. A failure of one destination (refused, auth,
 * down) affects only that destination's rows.
 */
export function createRelay(deps: RelayDeps): Relay {
  const policy = {
    retryBaseMs: deps.config.retryBaseMs,
    maxAttempts: deps.config.maxAttempts,
    maxDelayMs: deps.config.maxDelayMs ?? 3_600_000,
  };

  async function runOnce(options: { limit?: number } = {}): Promise<RunSummary> {
    const now = deps.clock();
    const rows = await deps.store.leaseDue(now, options.limit ?? 50, deps.config.owner, deps.config.leaseMs);
    const summary = emptySummary();
    summary.leased = rows.length;
    const lanes = lanesOf(rows);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < lanes.length) {
        for (const row of lanes[next++] ?? []) summary[await attemptRow(row)]++;
      }
    };
    const width = Math.max(1, Math.min(deps.config.concurrency ?? 4, lanes.length));
    await Promise.all(Array.from({ length: width }, worker));
    return summary;
  }

  async function attemptRow(row: OutboxRow): Promise<RowResult> {
    const startedAt = deps.clock();
    let result: RowResult;
    try {
      result = await decideAndPush(row, startedAt);
    } catch (err) {
      result = await failThrownAttempt(row, startedAt, err);
    }
    const seconds = (deps.clock().getTime() - startedAt.getTime()) / 1000;
    deps.metrics?.observeDelivery(METRIC[result], seconds);
    deps.logger?.info(
      { outboxId: row.id, destination: row.destinationId, type: row.resourceType, result },
      'relay: attempt finished',
    );
    return result;
  }

  async function decideAndPush(row: OutboxRow, startedAt: Date): Promise<RowResult> {
    const dest = deps.destinations.getDestination(row.destinationId);
    if (!dest) return deferUnknownDestination(row, startedAt);
    const stored = await deps.store.getResource(row.resourceType, row.resourceId, row.resourceVersion);
    if (!stored) {
      const oo = errorOutcome(
        'not-found',
        `${row.resourceType} version ${row.resourceVersion} is not in the store`,
      );
      return finish(row, startedAt, failed('dead', oo, [], null));
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
    if (plan.kind === 'awaiting-consent') {
      return finish(row, startedAt, {
        result: 'awaiting',
        patch: attemptAwaitingConsent().patch,
        httpStatus: null,
        outcome: null,
        resources: [self],
        consentRef: null,
        sections: [],
        description: 'no consent applies: waiting for one',
      });
    }
    if (plan.kind === 'withheld') {
      return finish(row, startedAt, {
        result: 'withheld',
        audit: 'withheld',
        patch: attemptWithheld(plan.consentRef).patch,
        httpStatus: null,
        outcome: null,
        resources: [self],
        consentRef: plan.consentRef,
        sections: plan.sections,
        description: `withheld: ${plan.reason}`,
      });
    }
    const built = await buildDeliveryUnit(deps.store, plan.mains);
    const checked = validateAll(
      deps.validator,
      built.unit.map((item) => item.resource),
      (r) => `outgoing ${r.resourceType}`,
    );
    if (!checked.ok)
      return finish(row, startedAt, failed('dead', checked.outcome, built.references, plan.consentRef));
    const pushed = await deps.gateway.push(dest, built.unit);
    return finish(row, startedAt, await endOfPush(row, pushed, built, plan.consentRef, plan.sections));
  }

  async function endOfPush(
    row: OutboxRow,
    pushed: PushResult,
    built: BuiltUnit,
    consentRef: string | null,
    sections: string[],
  ): Promise<AttemptEnd> {
    const now = deps.clock();
    const late = row.deadline !== null && now.getTime() > row.deadline.getTime();
    if (pushed.kind === 'delivered') {
      const disclosedAt = pushed.alreadyThere
        ? committedAttemptStart(await deps.store.listAttempts(row.id))
        : undefined;
      return {
        result: 'delivered',
        audit: 'delivered',
        patch: attemptDelivered({ deliveredAt: disclosedAt ?? now, late, consentRef }).patch,
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
    const httpStatus = pushed.httpStatus ?? null;
    if (pushed.kind === 'permanent')
      return { ...failed('dead', pushed.outcome, built.references, consentRef), httpStatus, sections };
    const decision = nextRetry(policy, row.attempts + 1, deps.random, pushed.retryAfterMs);
    if (decision.kind === 'dead')
      return { ...failed('dead', pushed.outcome, built.references, consentRef), httpStatus, sections };
    return {
      ...failed('retried', pushed.outcome, built.references, consentRef),
      httpStatus,
      patch: attemptRetryWait({ at: now, delayMs: decision.delayMs, lastOutcome: pushed.outcome, late })
        .patch,
      sections,
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
  async function failThrownAttempt(row: OutboxRow, startedAt: Date, err: unknown): Promise<RowResult> {
    const reason = thrownReason(err);
    deps.logger?.warn({ outboxId: row.id, error: errorName(err) }, 'relay: attempt threw');
    const oo = errorOutcome('exception', reason);
    const decision = nextRetry(policy, row.attempts + 1, deps.random);
    const end = failed(decision.kind === 'dead' ? 'dead' : 'retried', oo, [], null);
    end.patch = attemptThrew(deps.clock(), decision.kind === 'retry' ? decision.delayMs : null, oo).patch;
    try {
      return await finish(row, startedAt, end);
    } catch (again) {
      deps.logger?.warn(
        { outboxId: row.id, error: errorName(again) },
        'relay: a thrown attempt could not be recorded; the row waits for its lease to expire',
      );
      return 'lost';
    }
  }

  async function deferUnknownDestination(row: OutboxRow, startedAt: Date): Promise<RowResult> {
    // Not an attempt (nothing was tried): the row waits until the destination is registered.
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
    return moved ? 'retried' : 'lost';
  }

  function finish(row: OutboxRow, startedAt: Date, end: AttemptEnd): Promise<RowResult> {
    return finishAttempt(deps, row, startedAt, end);
  }

  async function drain(options: { limit?: number } = {}): Promise<RunSummary> {
    const total = emptySummary();
    for (;;) {
      const s = await runOnce(options);
      for (const k of Object.keys(total) as Array<keyof RunSummary>) total[k] += s[k];
      if (s.leased === 0) return total;
    }
  }

  return { runOnce, drain };
}

/**
 * Rows grouped by destination and resource, in lease order (earliest deadline first), versions
 * ascending within a lane: two versions of one resource (a Consent and its revocation) are never
 * pushed at the same time, so the destination ends with the newest.
 */
function lanesOf(rows: OutboxRow[]): OutboxRow[][] {
  const lanes = new Map<string, OutboxRow[]>();
  for (const row of rows) {
    const key = `${row.destinationId} ${row.resourceType}/${row.resourceId}`;
    const lane = lanes.get(key) ?? [];
    lane.push(row);
    lanes.set(key, lane);
  }
  return [...lanes.values()].map((lane) => lane.sort((a, b) => a.resourceVersion - b.resourceVersion));
}

const METRIC: Record<RowResult, DeliveryOutcome> = {
  delivered: 'delivered',
  retried: 'retry',
  dead: 'dead',
  withheld: 'withheld',
  awaiting: 'awaiting-consent',
  lost: 'retry',
};

/** A failed attempt: `dead` keeps the outcome on the row; the audit records it as failed. */
function failed(
  result: 'dead' | 'retried',
  oo: OperationOutcome,
  resources: string[],
  consentRef: string | null,
): AttemptEnd {
  return {
    result,
    audit: result === 'dead' ? 'dead' : 'retry',
    patch: attemptDead(oo).patch,
    httpStatus: null,
    outcome: oo,
    resources,
    consentRef,
    sections: [],
    description: `${result === 'dead' ? 'failed' : 'will retry'}: ${outcomeText(oo)}`,
  };
}
