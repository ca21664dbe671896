import type { AuditEvent, Communication, OperationOutcome, Resource } from '@medplum/fhirtypes';
import type { RecordKind } from '../../domain/records';
import type { OutboxState } from '../../outbox/states';
import type { RecordedAttemptResult } from '../../outbox/attempt-result';

/**
 * The store port (DESIGN.md §6–§7): everything kap-bridge keeps durably, behind one interface
 * with two adapters (SQLite, PostgreSQL) and one contract test suite
 * (`test/store/store-contract.ts`). Methods are async so that a networked database fits.
 *
 * Times cross the port as `Date` objects; every stored time is UTC with millisecond precision.
 */

/** One version of a practice record, exactly as received (after parsing). */
export interface StoredRecord {
  kind: RecordKind;
  id: string;
  /** 1, 2, … — a new version each time the same id arrives with different content. */
  version: number;
  /** SHA-256 (hex) of the canonical JSON of the record: same hash → same content → a no-op. */
  contentHash: string;
  json: unknown;
  /** The client's MRN, for per-patient queries (null when a record names none). */
  patientMrn: string | null;
  receivedAt: Date;
}

/** What a caller gives to store a record; the store assigns the version. */
export type NewRecord = Omit<StoredRecord, 'version'>;

/** One version of a FHIR resource mapped from a practice record. Every version is kept. */
export interface StoredResource<T extends Resource = Resource> {
  resourceType: string;
  id: string;
  versionId: number;
  /** The resource with `meta.versionId` and `meta.lastUpdated` set by the store. */
  resource: T;
  patientMrn: string | null;
  lastUpdated: Date;
}

// The outbox states, their sets and transitions live in the pure outbox module (DESIGN.md §6);
// the type is re-exported here for the store's callers.
export type { OutboxState } from '../../outbox/states';
export type { RecordedAttemptResult } from '../../outbox/attempt-result';

/** One item to deliver to one destination: a specific version of one resource. */
export interface OutboxRow {
  id: string;
  /**
   * Unique and deterministic (destination + resource reference + version): re-ingesting the same
   * content yields the same key, so no second row is ever created for it.
   */
  itemKey: string;
  destinationId: string;
  patientMrn: string;
  recipientNpi: string;
  resourceType: string;
  resourceId: string;
  resourceVersion: number;
  state: OutboxState;
  attempts: number;
  /** When the row is due (queued / retry-wait); null = due now. */
  nextAttemptAt: Date | null;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  /** The integration-window close (DESIGN.md §6), null for items without a window. */
  deadline: Date | null;
  /** Delivered (or being delivered) after its deadline. */
  late: boolean;
  lastOutcome: OperationOutcome | null;
  /** `Consent/{id}/_history/{v}` of the consent that decided the row's state, if any. */
  consentRef: string | null;
  createdAt: Date;
  updatedAt: Date;
  deliveredAt: Date | null;
}

/** What a caller gives to create an outbox row; the store assigns id, attempts and times. */
export type NewOutboxRow = Pick<
  OutboxRow,
  | 'itemKey'
  | 'destinationId'
  | 'patientMrn'
  | 'recipientNpi'
  | 'resourceType'
  | 'resourceId'
  | 'resourceVersion'
  | 'state'
  | 'deadline'
  | 'consentRef'
> & { nextAttemptAt?: Date | null; lastOutcome?: OperationOutcome | null };

/** Fields a state change may set. Omitted fields are left as they are. */
export type OutboxPatch = Partial<
  Pick<
    OutboxRow,
    | 'state'
    | 'nextAttemptAt'
    | 'leaseOwner'
    | 'leaseUntil'
    | 'late'
    | 'lastOutcome'
    | 'consentRef'
    | 'deliveredAt'
    | 'attempts'
  >
>;

/** One delivery attempt (the local delivery record of DESIGN.md §6). */
export interface DeliveryAttempt {
  id: string;
  outboxId: string;
  /** 1 for the first attempt of the row. */
  attemptNo: number;
  startedAt: Date;
  finishedAt: Date;
  /** HTTP status from the destination; null for a network error or a local refusal. */
  httpStatus: number | null;
  /** How the attempt ended (the relay's classification). */
  result: RecordedAttemptResult;
  outcome: OperationOutcome | null;
}

export type NewDeliveryAttempt = Omit<DeliveryAttempt, 'id' | 'attemptNo' | 'outboxId'>;

/** An AuditEvent with its indexed columns (DESIGN.md §1: 45 CFR 164.312(b), kept six years). */
export interface StoredAuditEvent {
  id: string;
  recorded: Date;
  patientMrn: string | null;
  /** AuditEvent.outcome: `0` success, `4` minor failure, `8` serious, `12` major. */
  outcome: string | null;
  event: AuditEvent;
}

export interface OutboxFilter {
  state?: OutboxState;
  destinationId?: string;
  patientMrn?: string;
}

/**
 * A lookup of referral records by their client (DESIGN.md §8 "Trust at the edge": client matching
 * uses indexed lookups, so its cost per referral does not grow with the number of clients): the
 * practice MRN, the referrer's patient id (`client.referrerPatientId`), or the birth date (names
 * are compared by the caller, which owns their normalisation).
 */
export type ReferralClientLookup =
  { patientMrn: string } | { referrerPatientId: { system: string; value: string } } | { birthDate: string };

/**
 * A reply from a referring clinician (DESIGN.md §6b): a Communication received by push
 * (`POST /fhir`) or pull (a destination's server), kept as received. Linked to the referral and
 * client it answers when that could be established; otherwise kept for staff review (`referralId`
 * null). Never queued for delivery: what was received is never re-disclosed.
 */
export interface InboundMessage {
  id: string;
  /** What makes receipt idempotent: the reply's business identifier, else its origin and id there. */
  sourceKey: string;
  channel: 'push' | 'pull';
  /** The API key's name (push) or the destination id (pull). */
  origin: string;
  referralId: string | null;
  patientMrn: string | null;
  /** The practice's resource it answers (`Communication/…` or `ServiceRequest/…`), when linked. */
  inReplyTo: string | null;
  receivedAt: Date;
  communication: Communication;
  handledAt: Date | null;
  /** Who marked it handled (an API key's name, or `cli`). */
  handledBy: string | null;
}

/** What a caller gives to store a reply; the store assigns the id. */
export type NewInboundMessage = Omit<InboundMessage, 'id' | 'handledAt' | 'handledBy'>;

/** Replies of one referral, or the ones that could not be linked (`unlinked`). */
export type InboundMessageFilter = { referralId: string } | { unlinked: true };

export interface AuditFilter {
  patientMrn?: string;
  since?: Date;
  until?: Date;
  outcome?: string;
}

/** Reads and writes available both inside and outside a transaction. */
export interface StoreOps {
  /** Appends a new version of a record (version = latest + 1) and returns it. */
  putRecord(record: NewRecord): Promise<StoredRecord>;
  /** The latest version of a record, or null. */
  getRecord(kind: RecordKind, id: string): Promise<StoredRecord | null>;
  /** Latest versions of the records matching the filter, oldest first. */
  listRecords(filter: { kind?: RecordKind; patientMrn?: string }): Promise<StoredRecord[]>;
  /**
   * Latest versions of the referral records whose client matches `lookup`, oldest first. Answered
   * from an index: the cost depends on the number of matches, not on the number of records.
   */
  findReferrals(lookup: ReferralClientLookup): Promise<StoredRecord[]>;

  /**
   * Appends a new version of a resource (versionId = latest + 1), setting `meta.versionId` and
   * `meta.lastUpdated` (FHIR R4 §3.1.0.4 "Resource.meta") on the stored copy, and returns it.
   */
  putResource<T extends Resource>(
    resource: T & { id: string },
    patientMrn: string | null,
    at: Date,
  ): Promise<StoredResource<T>>;
  /** The latest version (or the given version) of a resource, or null. */
  getResource(resourceType: string, id: string, versionId?: number): Promise<StoredResource | null>;
  /** Latest version of each resource of the type (optionally for one patient), oldest first. */
  listResources(filter: { resourceType: string; patientMrn?: string }): Promise<StoredResource[]>;

  /**
   * Creates an outbox row unless one with the same `itemKey` exists; returns the row and whether
   * it was created (re-ingest is a no-op).
   */
  enqueue(row: NewOutboxRow, now: Date): Promise<{ row: OutboxRow; created: boolean }>;
  getOutbox(id: string): Promise<OutboxRow | null>;
  /** Rows matching the filter, ordered by deadline (nulls last) then creation time. */
  listOutbox(filter?: OutboxFilter): Promise<OutboxRow[]>;
  /** How many rows are in each state (every state named, 0 for none), counted by the database. */
  countOutboxByState(): Promise<Record<OutboxState, number>>;
  /**
   * How many undelivered rows (a state of `UNDELIVERED_STATES`, src/outbox) have their
   * deadline in [`now`, `now + withinMs`): the "at risk" items of DESIGN.md §6 for
   * `withinMs` = 24 h. Counted by the database (a `/metrics` scrape reads no rows).
   */
  countOutboxAtRisk(now: Date, withinMs: number): Promise<number>;
  /**
   * Compare-and-set for rows nobody holds a lease on: applies the patch only if the row's state
   * is one of `fromStates`. Returns the updated row, or null when the guard failed.
   */
  transitionOutbox(
    id: string,
    fromStates: readonly OutboxState[],
    patch: OutboxPatch,
    now: Date,
  ): Promise<OutboxRow | null>;

  /**
   * Takes the next number of the counter `name`: greater than `above` and than every number the
   * counter gave before. Inside a transaction the counter stays locked until commit, so two
   * concurrent transactions (also on two instances sharing one database) never get the same
   * number; a rolled-back transaction gives its number back.
   */
  nextInSequence(name: string, above: number): Promise<number>;
  /**
   * Raises the counter `name` to at least `atLeast` without taking a number, so a number given
   * out elsewhere (an MRN the practice assigned itself) is never handed out by the counter.
   */
  raiseSequence(name: string, atLeast: number): Promise<void>;

  /**
   * Stores a reply unless one with the same `sourceKey` is stored (then returns that one, with
   * `created: false`): a reply pulled by several syncs or pushed twice is kept once.
   */
  putInboundMessage(message: NewInboundMessage): Promise<{ message: InboundMessage; created: boolean }>;
  getInboundMessage(id: string): Promise<InboundMessage | null>;
  /** The replies matching the filter, oldest first. */
  listInboundMessages(filter: InboundMessageFilter): Promise<InboundMessage[]>;
  /**
   * Marks a reply handled by `by` at `at`; a reply already handled keeps its first mark. Null
   * when there is no reply with this id.
   */
  markInboundHandled(id: string, by: string, at: Date): Promise<InboundMessage | null>;
  /** The newest `meta.lastUpdated` the reply pull has read from a destination, as it gave it. */
  getReplyWatermark(destinationId: string): Promise<string | null>;
  /** Stores the pull's watermark for a destination (replacing the previous one). */
  setReplyWatermark(destinationId: string, watermark: string, now: Date): Promise<void>;

  /** Appends an AuditEvent (it must carry an `id` and `recorded`). */
  appendAudit(event: AuditEvent, patientMrn: string | null): Promise<StoredAuditEvent>;
  /** AuditEvents matching the filter, oldest first. */
  listAudit(filter?: AuditFilter): Promise<StoredAuditEvent[]>;
}

/**
 * The AuditEvent of a finished attempt, built from the updated row (its `late` flag, state), and
 * appended in the same transaction as the attempt (45 CFR 164.312(b): no attempt unaudited).
 */
export type AttemptAudit = (row: OutboxRow) => AuditEvent;

/** The end of one attempt on a leased row: the arguments of `Store.completeAttempt`. */
export interface AttemptCompletion {
  id: string;
  owner: string;
  attempt: NewDeliveryAttempt;
  patch: OutboxPatch;
  audit?: AttemptAudit;
}

/** A recorded attempt and the row as it was left. */
export interface CompletedAttempt {
  row: OutboxRow;
  attempt: DeliveryAttempt;
}

/** Operations that must run alone, not inside a caller's transaction. */
export interface Store extends StoreOps {
  /**
   * Runs `fn` as one unit of work: everything it writes through `tx` commits together or not at
   * all (the transactional outbox of DESIGN.md §6). If `fn` throws, nothing is kept and the error
   * is rethrown. Do not call other `Store` methods from inside `fn` — use `tx`.
   *
   * Concurrent units of work behave as if run one after the other (SQLite serialises writers;
   * PostgreSQL runs them SERIALIZABLE). On PostgreSQL a unit of work that conflicts with a
   * concurrent one (another instance storing the same record) is rolled back and `fn` is run
   * again, so `fn` must have no effects outside `tx` (or be safe to repeat).
   */
  transaction<T>(fn: (tx: StoreOps) => Promise<T>): Promise<T>;

  /**
   * Runs each of `fns` as its own unit of work, as {@link transaction} would, one after the other
   * in order: each commits or rolls back alone, and each sees what the ones before it wrote (the
   * independent entries of a FHIR `batch`). The store may commit several together where that is
   * cheaper (SQLite: one COMMIT for units queued behind one another, issue 12) without changing
   * what each sees or keeps. Resolves with each outcome, in the order of `fns`.
   */
  transactionEach<T>(
    fns: ReadonlyArray<(tx: StoreOps) => Promise<T>>,
  ): Promise<Array<PromiseSettledResult<T>>>;

  /**
   * Runs `fn`, whose units of work are acknowledged together: the store may make them durable
   * all at once when `fn` ends (one fsync for a batch of independent entries, issue 12) instead of
   * one by one, and resolves only after they are. What `fn`'s caller answers must therefore wait
   * for this promise (DESIGN.md §6: an acknowledged write is on disk). Absent: every unit of work
   * is durable when it resolves, and callers run `fn` as it is.
   */
  durableTogether?<T>(fn: () => Promise<T>): Promise<T>;

  /**
   * Leases up to `limit` due rows for `owner` for `leaseMs` and marks them `in-flight`
   * atomically. Due = `queued` or `retry-wait` with `nextAttemptAt` ≤ now (or null), or
   * `in-flight` whose lease has expired (a crashed worker's row is taken over). Earliest deadline
   * first (nulls last), then oldest. Two callers never lease the same row at once.
   */
  leaseDue(now: Date, limit: number, owner: string, leaseMs: number): Promise<OutboxRow[]>;
  /**
   * Applies a patch to a row leased by `owner` (lease owner and state `in-flight` are checked).
   * Returns null when the lease was lost (expired and taken over) — the caller must then stop.
   */
  updateOutboxState(id: string, owner: string, patch: OutboxPatch, now: Date): Promise<OutboxRow | null>;
  /**
   * Records a finished attempt and moves the leased row to its next state in one transaction,
   * incrementing `attempts` and releasing the lease; `audit`, when given, is appended in that same
   * transaction. Null when `owner` no longer holds the lease (then nothing is written).
   */
  completeAttempt(
    id: string,
    owner: string,
    attempt: NewDeliveryAttempt,
    patch: OutboxPatch,
    audit?: AttemptAudit,
  ): Promise<CompletedAttempt | null>;
  /**
   * `completeAttempt` for several leased rows in one transaction (issue 12: the relay records the
   * attempts that finish together with one commit instead of one each). Each entry is checked and
   * written as `completeAttempt` would, and answered in order: null for an entry whose lease was
   * lost (that entry writes nothing; the others are kept). If anything throws, nothing is kept.
   */
  completeAttempts(entries: readonly AttemptCompletion[]): Promise<Array<CompletedAttempt | null>>;
  listAttempts(outboxId: string): Promise<DeliveryAttempt[]>;

  /**
   * Operator retry (`operatorRetry` of src/outbox): a row in one of `RETRYABLE_STATES` is queued
   * again, due now (the relay re-checks consent before sending). Null if not retryable.
   */
  retryOutbox(id: string, now: Date): Promise<OutboxRow | null>;
  /** Operator retry of every retryable row of one destination; returns the rows queued. */
  retryDestination(destinationId: string, now: Date): Promise<OutboxRow[]>;
  /** Operator replay: a `delivered` row is queued again (conditional operations keep it single). */
  replayOutbox(id: string, now: Date): Promise<OutboxRow | null>;

  close(): Promise<void>;
}
