import { readOutboxSummary } from '../app/dashboard/outbox-summary';
import { readClientName, readReferralView, type DeliveryView } from '../app/dashboard/referral-view';
import type { AccessReader } from '../app/audited-reads';
import type { DeliveryAttempt } from '../app/ports/store-port';
import type { Actor, DashboardPort } from '../entry/http/app-deps';
import type { Runtime } from './compose';
import { outboxSummary } from './service-ports';

/**
 * The dashboard's reads (src/app/dashboard/) as the HTTP port wants them: rows as the API's outbox
 * summaries (ids, states, times, and — these routes need `ops` — what the destination answered),
 * attempts with their status and outcome, dates as ISO strings. Part of the composition root.
 */
export function dashboardPort(rt: Pick<Runtime, 'store' | 'clock' | 'config'>): DashboardPort {
  const deps = { store: rt.store, clock: rt.clock };
  return {
    async outboxSummary(query, actor) {
      const filter = {
        ...(query.destination ? { destinationId: query.destination } : {}),
        ...(query.patient ? { patientMrn: query.patient } : {}),
      };
      const summary = await readOutboxSummary(deps, filter, readerOf(actor));
      return {
        now: rt.clock().toISOString(),
        counts: summary.counts,
        items: summary.items.map(({ row, source, lastAttempt, window }) => ({
          ...outboxSummary(row, true),
          createdAt: row.createdAt.toISOString(),
          resourceType: row.resourceType,
          ...(source ?? {}),
          ...(window ? { window } : {}),
          ...(lastAttempt ? { lastAttempt: attemptOf(lastAttempt) } : {}),
        })),
      };
    },
    async referral(id, actor) {
      const view = await readReferralView({ ...deps, timeZone: rt.config.timeZone }, id, readerOf(actor));
      if (!view) return undefined;
      return {
        now: rt.clock().toISOString(),
        ...view,
        updates: view.updates.map((u) => ({ ...u, deliveries: u.deliveries.map(deliveryOf) })),
        otherDeliveries: view.otherDeliveries.map(deliveryOf),
      };
    },
    clientName: (id, actor) => readClientName(deps, id, readerOf(actor)),
  };
}

function deliveryOf({ row, attempts }: DeliveryView): Record<string, unknown> {
  return {
    ...outboxSummary(row, true),
    createdAt: row.createdAt.toISOString(),
    resourceType: row.resourceType,
    attempts: attempts.map(attemptOf),
  };
}

function attemptOf(a: DeliveryAttempt): Record<string, unknown> {
  return {
    attemptNo: a.attemptNo,
    startedAt: a.startedAt.toISOString(),
    finishedAt: a.finishedAt.toISOString(),
    httpStatus: a.httpStatus,
    result: a.result,
    outcome: a.outcome,
  };
}

function readerOf(actor: Actor): AccessReader {
  return { actor: actor.keyName, channel: 'api', requestId: actor.requestId };
}
