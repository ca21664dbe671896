import type { AuditEvent, Resource } from '@medplum/fhirtypes';
import type { RecordKind } from '../../../domain/records';
import type {
  AuditFilter,
  InboundMessage,
  InboundMessageFilter,
  NewInboundMessage,
  NewOutboxRow,
  NewRecord,
  OutboxFilter,
  OutboxPatch,
  OutboxRow,
  OutboxState,
  ReferralClientLookup,
  StoredAuditEvent,
  StoredRecord,
  StoredResource,
  StoreOps,
} from '../../../app/ports/store-port';
import * as audit from './sql-audit';
import * as counters from './sql-counters';
import type { SqlDialect, SqlExecutor } from './sql-executor';
import * as inbound from './sql-inbound';
import * as outbox from './sql-outbox';
import * as records from './sql-records';

/** Runs `fn` atomically: inside an open transaction it just runs it, outside it opens one. */
export type Atomic = <T>(fn: (ops: SqlOps) => Promise<T>) => Promise<T>;

/**
 * The store operations in portable SQL (SQLite ≥ 3.35 and PostgreSQL ≥ 13 both have
 * `RETURNING`, `ON CONFLICT DO NOTHING` and `NULLS LAST`). The SQL lives by concern in
 * sql-records (records, resources), sql-outbox, sql-audit, sql-inbound and sql-counters.
 */
export class SqlOps implements StoreOps {
  constructor(
    protected readonly exec: SqlExecutor,
    protected readonly atomic: Atomic,
    protected readonly dialect: SqlDialect,
  ) {}

  putRecord(r: NewRecord): Promise<StoredRecord> {
    return records.putRecord(this.exec, r);
  }

  getRecord(kind: RecordKind, id: string): Promise<StoredRecord | null> {
    return records.getRecord(this.exec, kind, id);
  }

  listRecords(filter: { kind?: RecordKind; patientMrn?: string }): Promise<StoredRecord[]> {
    return records.listRecords(this.exec, filter);
  }

  findReferrals(lookup: ReferralClientLookup): Promise<StoredRecord[]> {
    return records.findReferrals(this.exec, lookup);
  }

  putResource<T extends Resource>(
    resource: T & { id: string },
    patientMrn: string | null,
    at: Date,
  ): Promise<StoredResource<T>> {
    return this.atomic((ops) => records.putResource(ops.exec, resource, patientMrn, at));
  }

  getResource(resourceType: string, id: string, versionId?: number): Promise<StoredResource | null> {
    return records.getResource(this.exec, resourceType, id, versionId);
  }

  listResources(filter: { resourceType: string; patientMrn?: string }): Promise<StoredResource[]> {
    return records.listResources(this.exec, filter);
  }

  enqueue(row: NewOutboxRow, now: Date): Promise<{ row: OutboxRow; created: boolean }> {
    return outbox.enqueue(this.exec, row, now);
  }

  getOutbox(id: string): Promise<OutboxRow | null> {
    return outbox.getOutbox(this.exec, id);
  }

  listOutbox(filter: OutboxFilter = {}): Promise<OutboxRow[]> {
    return outbox.listOutbox(this.exec, filter);
  }

  countOutboxByState(): Promise<Record<OutboxState, number>> {
    return outbox.countOutboxByState(this.exec);
  }

  countOutboxAtRisk(now: Date, withinMs: number): Promise<number> {
    return outbox.countOutboxAtRisk(this.exec, now, withinMs);
  }

  transitionOutbox(
    id: string,
    fromStates: readonly OutboxState[],
    patch: OutboxPatch,
    now: Date,
  ): Promise<OutboxRow | null> {
    return outbox.transitionOutbox(this.exec, id, fromStates, patch, now);
  }

  nextInSequence(name: string, above: number): Promise<number> {
    return counters.nextInSequence(this.exec, name, above);
  }

  raiseSequence(name: string, atLeast: number): Promise<void> {
    return counters.raiseSequence(this.exec, name, atLeast);
  }

  putInboundMessage(m: NewInboundMessage): Promise<{ message: InboundMessage; created: boolean }> {
    return inbound.putInboundMessage(this.exec, m);
  }

  getInboundMessage(id: string): Promise<InboundMessage | null> {
    return inbound.getInboundMessage(this.exec, id);
  }

  listInboundMessages(filter: InboundMessageFilter): Promise<InboundMessage[]> {
    return inbound.listInboundMessages(this.exec, filter);
  }

  markInboundHandled(id: string, by: string, at: Date): Promise<InboundMessage | null> {
    return inbound.markInboundHandled(this.exec, id, by, at);
  }

  getReplyWatermark(destinationId: string): Promise<string | null> {
    return inbound.getReplyWatermark(this.exec, destinationId);
  }

  setReplyWatermark(destinationId: string, watermark: string, now: Date): Promise<void> {
    return inbound.setReplyWatermark(this.exec, destinationId, watermark, now);
  }

  appendAudit(event: AuditEvent, patientMrn: string | null): Promise<StoredAuditEvent> {
    return audit.appendAudit(this.exec, event, patientMrn);
  }

  listAudit(filter: AuditFilter = {}): Promise<StoredAuditEvent[]> {
    return audit.listAudit(this.exec, filter);
  }
}

/** Operations bound to an open transaction: nested "atomic" work simply joins it. */
export function opsInTransaction(exec: SqlExecutor, dialect: SqlDialect): SqlOps {
  const ops: SqlOps = new SqlOps(exec, (fn) => fn(ops), dialect);
  return ops;
}
