import type { Bundle } from '@medplum/fhirtypes';
import type { IngestResult } from '../app';
import type { AccessReader } from '../app/audited-reads';
import { readDisclosureLog } from '../app/disclosure-log';
import { AT_RISK_MS } from '../domain/integration-window';
import type {
  Actor,
  AppDeps,
  FhirResult,
  IngestPort,
  IngestReply,
  OutboxPort,
  ReadinessCheck,
  RepliesPort,
} from '../entry/http/app-deps';
import { seesEvidence } from '../entry/http/scopes';
import type { MetricsSources } from '../entry/http/metrics';
import type { Runtime } from './compose';
import { OUTBOX_STATES, type OutboxState } from '../outbox';
import type { OutboxRow } from '../app/ports/store-port';

/**
 * The ports of `createApp` (src/entry/http/app-deps.ts) implemented with the real use cases. Part of
 * the composition root: `service.ts` calls these with the runtime and the delivery trigger.
 */

/**
 * An outbox row as the API shows it: ids, states, times — never record content. The row's last
 * outcome (what the destination answered) is evidence, shown only with `evidence` (an `ops` or
 * `audit` key, DESIGN.md §6).
 */
export function outboxSummary(row: OutboxRow, evidence = false): Record<string, unknown> {
  const summary: Record<string, unknown> = {
    id: row.id,
    state: row.state,
    destinationId: row.destinationId,
    resource: `${row.resourceType}/${row.resourceId}/_history/${row.resourceVersion}`,
    patientMrn: row.patientMrn,
    recipientNpi: row.recipientNpi,
    attempts: row.attempts,
    deadline: row.deadline?.toISOString() ?? null,
    late: row.late,
    nextAttemptAt: row.nextAttemptAt?.toISOString() ?? null,
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
    consent: row.consentRef,
  };
  if (evidence) summary.lastOutcome = row.lastOutcome;
  return summary;
}

/**
 * The record and FHIR ingest use cases; a stored ingest that created or moved outbox rows kicks
 * delivery (DESIGN.md §6 "ingest also triggers delivery at once") without awaiting it.
 */
export function ingestPort(rt: Pick<Runtime, 'ingest'>, kick: () => void): IngestPort {
  const ctx = (actor: Actor) => ({
    actor: actor.keyName,
    ...(actor.senders ? { senders: actor.senders } : {}),
  });
  const record = (r: IngestResult, actor: Actor): IngestReply => {
    if (r.status !== 'rejected' && r.outbox.length + r.changed.length > 0) kick();
    const evidence = seesEvidence(actor.scopes);
    return {
      status: r.status,
      outcome: r.outcome,
      ...(r.recordId ? { recordId: r.recordId } : {}),
      outbox: [...r.outbox, ...r.changed].map((row) => outboxSummary(row, evidence)),
    };
  };
  const fhir = (r: FhirResult): FhirResult => {
    if (r.status === 'processed') kick();
    return r;
  };
  return {
    referral: async (body, actor) => record(await rt.ingest.referral(body, ctx(actor)), actor),
    consent: async (body, actor) => record(await rt.ingest.consent(body, ctx(actor)), actor),
    revoke: async (id, body, actor) => record(await rt.ingest.revoke(id, body, ctx(actor)), actor),
    update: async (body, actor) => record(await rt.ingest.update(body, ctx(actor)), actor),
    status: async (id, body, actor) => record(await rt.ingest.status(id, body, ctx(actor)), actor),
    fhirBundle: async (bundle: Bundle, actor) => fhir(await rt.ingest.fhirBundle(bundle, ctx(actor))),
    message: async (bundle: Bundle, actor) => fhir(await rt.ingest.message(bundle, ctx(actor))),
  };
}

/** `GET /outbox`, `POST /outbox/{id}/retry` over the outbox operations; a retry kicks delivery. */
export function outboxPort(rt: Runtime, kick: () => void): OutboxPort {
  return {
    states: OUTBOX_STATES,
    async list(filter, actor) {
      const rows = await rt.outbox.list(
        {
          ...(filter.state ? { state: filter.state as OutboxState } : {}),
          ...(filter.destination ? { destinationId: filter.destination } : {}),
        },
        readerOfActor(actor),
      );
      return rows.map((row) => outboxSummary(row, seesEvidence(actor.scopes)));
    },
    async retry(id) {
      const result = await rt.outbox.retry(id);
      if (result.status !== 'retried') return { status: result.status, outcome: result.outcome };
      kick();
      return { status: 'retried', outcome: result.outcome, item: outboxSummary(result.row, true) };
    },
  };
}

/**
 * Replies and the messages view (DESIGN.md §6b) over the use cases the sync and the CLI share: a
 * pushed reply carries the key's name and the organisations it is bound to; reads and marks are
 * audited under the key's name.
 */
export function repliesPort(rt: Pick<Runtime, 'replies'>): RepliesPort {
  return {
    async receive(body, actor) {
      const origin = {
        channel: 'push' as const,
        keyName: actor.keyName,
        ...(actor.senders ? { senders: actor.senders } : {}),
      };
      const r = await rt.replies.receive(body, origin);
      return r.status === 'rejected' ? r : { status: r.status, outcome: r.outcome };
    },
    messages: (referralId, actor) => rt.replies.messages(referralId, readerOfActor(actor)),
    async markHandled(referralId, messageId, actor) {
      const r = await rt.replies.markHandled(referralId, messageId, actor.keyName);
      return r.status === 'handled' ? r.reply : null;
    },
  };
}

/** The disclosure log through the use case the CLI also calls: it audits the read with the key's name. */
export function disclosuresPort(rt: Runtime): AppDeps['disclosures'] {
  return (mrn, actor) => readDisclosureLog({ store: rt.store, clock: rt.clock }, mrn, readerOfActor(actor));
}

/** The API caller as the audited-read use cases name it: the key's name and the request id. */
function readerOfActor(actor: Actor): AccessReader {
  return { actor: actor.keyName, channel: 'api', requestId: actor.requestId };
}

/** `/readyz`: the store answers a query; the validator has loaded the R4 definitions and profiles. */
export function readinessPort(rt: Runtime, validatorLoaded: () => boolean): AppDeps['readiness'] {
  return async () => {
    const checks: Record<string, ReadinessCheck> = {};
    try {
      await rt.store.getOutbox('readiness-probe');
      checks.store = { ok: true };
    } catch (err) {
      checks.store = { ok: false, message: (err as Error).name };
    }
    checks.validator = validatorLoaded() ? { ok: true } : { ok: false, message: 'not loaded yet' };
    return { ok: Object.values(checks).every((c) => c.ok), checks };
  };
}

/**
 * Queue depth by state and the at-risk count (DESIGN.md §6: < 24 h left in the window), each one
 * aggregate query: a scrape costs the same with ten rows or a million.
 */
export function metricsSources(rt: Runtime): MetricsSources {
  return {
    outboxCounts: () => rt.store.countOutboxByState(),
    atRiskCount: () => rt.store.countOutboxAtRisk(rt.clock(), AT_RISK_MS),
  };
}
