import { randomUUID } from 'node:crypto';
import type { Bundle } from '@medplum/fhirtypes';
import type { IngestResult as UseCaseResult } from './app';
import { buildAccessAudit } from './audit/access-audit';
import { buildDisclosureLog } from './audit/disclosure-log';
import { AT_RISK_MS } from './domain/integration-window';
import { allOk, errorOutcome } from './fhir/outcomes';
import type {
  AccessRecord,
  Actor,
  AppDeps,
  FhirResult,
  IngestPort,
  IngestResult,
  OutboxPort,
  ReadinessCheck,
} from './http/app-deps';
import type { MetricsSources } from './http/metrics';
import type { Runtime } from './main';
import { OUTBOX_STATES, type OutboxRow, type OutboxState } from './store/store-port';

/**
 * The ports of `createApp` (src/http/app-deps.ts) implemented with the real use cases. Part of
 * the composition root: `service.ts` calls these with the runtime and the delivery trigger.
 */

/** An outbox row as the API shows it: ids, states, times — never record content. */
export function outboxSummary(row: OutboxRow): Record<string, unknown> {
  return {
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
    lastOutcome: row.lastOutcome,
  };
}

/**
 * The record and FHIR ingest use cases; a stored ingest that created or moved outbox rows kicks
 * delivery (DESIGN.md §6 "ingest also triggers delivery at once") without awaiting it.
 */
export function ingestPort(rt: Runtime, kick: () => void): IngestPort {
  const ctx = (actor: Actor) => ({
    actor: actor.keyName,
    ...(actor.senders ? { senders: actor.senders } : {}),
  });
  const record = (r: UseCaseResult): IngestResult => {
    if (r.status !== 'rejected' && r.outbox.length + r.changed.length > 0) kick();
    return {
      status: r.status,
      outcome: r.outcome,
      ...(r.recordId ? { recordId: r.recordId } : {}),
      outbox: [...r.outbox, ...r.changed].map(outboxSummary),
    };
  };
  const fhir = (r: FhirResult): FhirResult => {
    if (r.status === 'processed') kick();
    return r;
  };
  return {
    referral: async (body, actor) => record(await rt.ingest.referral(body, ctx(actor))),
    consent: async (body, actor) => record(await rt.ingest.consent(body, ctx(actor))),
    revoke: async (id, body, actor) => record(await rt.ingest.revoke(id, body, ctx(actor))),
    update: async (body, actor) => record(await rt.ingest.update(body, ctx(actor))),
    fhirBundle: async (bundle: Bundle, actor) => fhir(await rt.ingest.fhirBundle(bundle, ctx(actor))),
    message: async (bundle: Bundle, actor) => fhir(await rt.ingest.message(bundle, ctx(actor))),
  };
}

/** `GET /outbox`, `POST /outbox/{id}/retry` over the outbox operations. */
export function outboxPort(rt: Runtime, kick: () => void): OutboxPort {
  return {
    states: OUTBOX_STATES,
    async list(filter) {
      const rows = await rt.outbox.list({
        ...(filter.state ? { state: filter.state as OutboxState } : {}),
        ...(filter.destination ? { destinationId: filter.destination } : {}),
      });
      return rows.map(outboxSummary);
    },
    async retry(id) {
      const before = await rt.outbox.get(id);
      if (!before)
        return { status: 'not-found', outcome: errorOutcome('not-found', 'No outbox item with this id.') };
      const row = await rt.outbox.retry(id);
      if (!row) {
        const text = `An item in state ${before.state} cannot be retried (only dead, retry-wait, withheld, awaiting-consent or cancelled).`;
        return { status: 'conflict', outcome: errorOutcome('conflict', text) };
      }
      kick();
      return {
        status: 'retried',
        outcome: allOk('queued again; the relay re-checks consent before sending'),
        item: outboxSummary(row),
      };
    },
  };
}

/**
 * The disclosure log, read without auditing: the HTTP route writes the access AuditEvent
 * itself through {@link auditPort}, so one read is one AuditEvent.
 */
export function disclosuresPort(rt: Runtime): AppDeps['disclosures'] {
  return async (mrn) => {
    const [records, audits] = await Promise.all([
      rt.store.listRecords({ patientMrn: mrn }),
      rt.store.listAudit({ patientMrn: mrn }),
    ]);
    return { found: records.length > 0, entries: buildDisclosureLog(audits.map((a) => a.event)) };
  };
}

/** Reads of PHI through the API, as AuditEvents in the store (HIPAA 164.312(b)); who = the key's name. */
export function auditPort(rt: Runtime): AppDeps['audit'] {
  return {
    async recordAccess(entry: AccessRecord) {
      const what = entry.what.state ? `${entry.what.kind} state=${entry.what.state}` : entry.what.kind;
      const event = buildAccessAudit({
        id: randomUUID(),
        recorded: entry.at,
        actor: entry.actor,
        what: `${what} (request ${entry.requestId})`,
        ...(entry.what.patientMrn ? { patientMrn: entry.what.patientMrn } : {}),
        outcome: entry.outcome === 'success' ? '0' : '4',
      });
      await rt.store.appendAudit(event, entry.what.patientMrn ?? null);
    },
  };
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
