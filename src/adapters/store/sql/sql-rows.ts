import type { AuditEvent, Communication, OperationOutcome, Resource } from '@medplum/fhirtypes';
import type { RecordKind } from '../../../domain/records';
import type {
  DeliveryAttempt,
  InboundMessage,
  OutboxRow,
  OutboxState,
  RecordedAttemptResult,
  StoredAuditEvent,
  StoredRecord,
  StoredResource,
} from '../../../app/ports/store-port';

/**
 * Row ⇄ port-type conversion shared by both adapters. SQLite hands back TEXT for times and JSON
 * and INTEGER for booleans; PostgreSQL hands back `Date`, parsed `jsonb` and `boolean`. These
 * helpers accept either.
 */

type Cell = unknown;

/** A required time column. */
export function toDate(v: Cell): Date {
  const d = toDateOrNull(v);
  if (d === null) throw new Error('store: a required time column is null');
  return d;
}

/** An optional time column. */
export function toDateOrNull(v: Cell): Date | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v;
  if (typeof v === 'string' || typeof v === 'number') return new Date(v);
  throw new Error(`store: unexpected time value of type ${typeof v}`);
}

/** A JSON column (TEXT in SQLite, jsonb in PostgreSQL). */
export function fromJson<T>(v: Cell): T {
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

function fromJsonOrNull<T>(v: Cell): T | null {
  return v === null || v === undefined ? null : fromJson<T>(v);
}

function str(v: Cell): string {
  if (typeof v !== 'string') throw new Error('store: expected a text column');
  return v;
}

function strOrNull(v: Cell): string | null {
  return v === null || v === undefined ? null : str(v);
}

/** Integer columns (PostgreSQL returns bigint as a string). */
function num(v: Cell): number {
  return typeof v === 'number' ? v : Number(v);
}

/** ISO-8601 UTC with milliseconds: sorts correctly as TEXT in SQLite. */
export function iso(d: Date): string {
  return d.toISOString();
}

export type Row = Record<string, unknown>;

export function toRecord(r: Row): StoredRecord {
  return {
    kind: str(r.kind) as RecordKind,
    id: str(r.id),
    version: num(r.version),
    contentHash: str(r.content_hash),
    json: fromJson<unknown>(r.json),
    patientMrn: strOrNull(r.patient_mrn),
    receivedAt: toDate(r.received_at),
  };
}

export function toResource(r: Row): StoredResource {
  return {
    resourceType: str(r.resource_type),
    id: str(r.id),
    versionId: num(r.version_id),
    resource: fromJson<Resource>(r.json),
    patientMrn: strOrNull(r.patient_mrn),
    lastUpdated: toDate(r.last_updated),
  };
}

export function toOutboxRow(r: Row): OutboxRow {
  return {
    id: str(r.id),
    itemKey: str(r.item_key),
    destinationId: str(r.destination_id),
    patientMrn: str(r.patient_mrn),
    recipientNpi: str(r.recipient_npi),
    resourceType: str(r.resource_type),
    resourceId: str(r.resource_id),
    resourceVersion: num(r.resource_version),
    state: str(r.state) as OutboxState,
    attempts: num(r.attempts),
    nextAttemptAt: toDateOrNull(r.next_attempt_at),
    leaseOwner: strOrNull(r.lease_owner),
    leaseUntil: toDateOrNull(r.lease_until),
    deadline: toDateOrNull(r.deadline),
    late: r.late === true || r.late === 1,
    lastOutcome: fromJsonOrNull<OperationOutcome>(r.last_outcome),
    consentRef: strOrNull(r.consent_ref),
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
    deliveredAt: toDateOrNull(r.delivered_at),
  };
}

export function toAttempt(r: Row): DeliveryAttempt {
  return {
    id: str(r.id),
    outboxId: str(r.outbox_id),
    attemptNo: num(r.attempt_no),
    startedAt: toDate(r.started_at),
    finishedAt: toDate(r.finished_at),
    httpStatus: r.http_status === null || r.http_status === undefined ? null : num(r.http_status),
    result: str(r.result) as RecordedAttemptResult,
    outcome: fromJsonOrNull<OperationOutcome>(r.outcome),
  };
}

export function toAudit(r: Row): StoredAuditEvent {
  return {
    id: str(r.id),
    recorded: toDate(r.recorded),
    patientMrn: strOrNull(r.patient_mrn),
    outcome: strOrNull(r.outcome),
    event: fromJson<AuditEvent>(r.json),
  };
}

export function toInboundMessage(r: Row): InboundMessage {
  return {
    id: str(r.id),
    sourceKey: str(r.source_key),
    channel: str(r.channel) as InboundMessage['channel'],
    origin: str(r.origin),
    referralId: strOrNull(r.referral_id),
    patientMrn: strOrNull(r.patient_mrn),
    inReplyTo: strOrNull(r.in_reply_to),
    receivedAt: toDate(r.received_at),
    communication: fromJson<Communication>(r.json),
    handledAt: toDateOrNull(r.handled_at),
    handledBy: strOrNull(r.handled_by),
  };
}

/** Sort used everywhere rows are listed: earliest deadline first, nulls last, then oldest. */
export function byDeadline(a: OutboxRow, b: OutboxRow): number {
  const da = a.deadline?.getTime() ?? Number.POSITIVE_INFINITY;
  const db = b.deadline?.getTime() ?? Number.POSITIVE_INFINITY;
  if (da !== db) return da - db;
  return a.createdAt.getTime() - b.createdAt.getTime();
}
