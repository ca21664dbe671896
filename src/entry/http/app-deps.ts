import type { Bundle, CapabilityStatement, OperationOutcome } from '@medplum/fhirtypes';
import type { Logger } from 'pino';
import type { ApiKeyRegistry } from './api-keys';
import type { FhirCapability } from './capability-statement';
import type { Metrics } from './metrics';
import type { Scope } from './scopes';

/**
 * The ports `createApp` needs. Each is a narrow function the composition root (`bootstrap/`)
 * implements with the real use cases; `http/` only translates HTTP to these calls and back
 * (STYLE.md "framework-free core": the use cases never see express).
 */

export { SCOPES, seesEvidence, type Scope } from './scopes';

/** Who is calling: the API key's name (one key per system or person, so the audit says who). */
export interface Actor {
  keyName: string;
  scopes: readonly Scope[];
  /** The request id, so a use case can put it into the AuditEvent it writes. */
  requestId: string;
  /** The sender organisations the key is bound to (keys file `senders`); absent: unbound. */
  senders?: ReadonlyArray<{ system: string; value: string }>;
}

/**
 * The API's answer to a practice-record ingest: the use case's `IngestResult` (src/app) with the
 * outbox rows it queued or moved as summaries. `created` → 201, `updated`/`unchanged` → 200
 * (re-posting the same record is idempotent, DESIGN.md §8), `rejected` → 422 with `outcome` as the
 * body, or 409 when the outcome's issue code is `conflict` (a changed re-post of a revoked
 * consent, §5).
 */
export interface IngestReply {
  status: 'created' | 'updated' | 'unchanged' | 'rejected';
  outcome: OperationOutcome;
  recordId?: string;
  /** Summaries of the outbox items queued (ids, states, destinations — no record content). */
  outbox?: unknown[];
}

/**
 * A FHIR interaction's answer: `processed` → 200 with `response` (transaction-response,
 * batch-response or response message); `rejected` → 422 with `outcome` (nothing stored), or 403
 * (`refusal: 'forbidden'`, a sender the key is not bound to) or 413 (`refusal: 'too-long'`, more
 * entries than the batch cap).
 */
export type FhirResult =
  | { status: 'processed'; response: Bundle }
  | { status: 'rejected'; outcome: OperationOutcome; refusal?: 'forbidden' | 'too-long' };

/** The record use cases (DESIGN.md §2 shapes). Bodies are passed unparsed: the use cases own the schemas. */
export interface IngestPort {
  referral(body: unknown, actor: Actor): Promise<IngestReply>;
  consent(body: unknown, actor: Actor): Promise<IngestReply>;
  /** `consentId` comes from the path, never from the body. */
  revoke(consentId: string, body: unknown, actor: Actor): Promise<IngestReply>;
  update(body: unknown, actor: Actor): Promise<IngestReply>;
  /** `POST /referrals/{id}/status` (DESIGN.md §6b): `referralId` comes from the path, never the body. */
  status(referralId: string, body: unknown, actor: Actor): Promise<IngestReply>;
  /** A `transaction` (all-or-nothing) or `batch` Bundle; the HTTP layer has checked `Bundle.type`. */
  fhirBundle(bundle: Bundle, actor: Actor): Promise<FhirResult>;
  /** A `message` Bundle for `$process-message` (BSeR referral, event v2-0003 I12). */
  message(bundle: Bundle, actor: Actor): Promise<FhirResult>;
}

/** Options of `$validate` (http://hl7.org/fhir/R4/resource-operation-validate.html). */
export interface ValidateOptions {
  /** Canonical URL of the profile to validate against, when the caller named one. */
  profile?: string;
}

/**
 * The query parameters of `GET /outbox`, as sent (the store's `OutboxFilter` is what the use case
 * makes of them); values are checked against `OutboxPort.states` before the call.
 */
export interface OutboxQuery {
  state?: string;
  destination?: string;
}

/** What an operator's retry did: `retried` → 200, `not-found` → 404, `conflict` → 409. */
export interface RetryResult {
  status: 'retried' | 'not-found' | 'conflict';
  outcome: OperationOutcome;
  item?: unknown;
}

export interface OutboxPort {
  /** The outbox states a filter may name (DESIGN.md §6). */
  states: readonly string[];
  /** The rows matching `query`; the read is audited (who, the filter, every patient returned) before it answers. */
  list(query: OutboxQuery, actor: Actor): Promise<unknown[]>;
  retry(id: string, actor: Actor): Promise<RetryResult>;
}

/** The query of `GET /outbox/summary`: a destination and/or a client (MRN), checked as FHIR ids. */
export interface OutboxSummaryQuery {
  destination?: string;
  patient?: string;
}

/**
 * The dashboard's reads (DESIGN.md §8 scope `ops`: "the dashboard's queue views"). Each is a read
 * of PHI audited in its use case (src/app/dashboard/) before it answers; `undefined` → 404.
 */
export interface DashboardPort {
  /** Counts by state and every row of the filter, with the referral and session each belongs to. */
  outboxSummary(query: OutboxSummaryQuery, actor: Actor): Promise<unknown>;
  /** One referral: clinician, consents and where they stand, updates with deliveries and attempts. */
  referral(id: string, actor: Actor): Promise<unknown | undefined>;
  /** The client's name on a referral: shown only on request, and audited as its own read. */
  clientName(referralId: string, actor: Actor): Promise<{ mrn: string; name: string } | undefined>;
}

/**
 * A reply pushed to `POST /fhir/Communication` (DESIGN.md §6b): `created` → 201, `unchanged` → 200
 * (the same reply again), `rejected` → 422, or 403 (`refusal: 'forbidden'`: the key is not bound
 * to the clinician's organisation). The answer is the same whether or not the reply was linked.
 */
export type ReplyReceipt =
  | { status: 'created' | 'unchanged'; outcome: OperationOutcome }
  | { status: 'rejected'; outcome: OperationOutcome; refusal?: 'forbidden' };

/** Replies and the per-referral messages view (DESIGN.md §6b); reads are audited in the use cases. */
export interface RepliesPort {
  receive(body: unknown, actor: Actor): Promise<ReplyReceipt>;
  /** `{ referral, statuses, replies, unlinked? }`; null → 404. */
  messages(referralId: string, actor: Actor): Promise<unknown>;
  /** The reply as staff see it, or null → 404 (no such reply on this referral). */
  markHandled(referralId: string, messageId: string, actor: Actor): Promise<unknown>;
}

/** The disclosure log of one patient; `found: false` → 404. */
export interface DisclosureLog {
  found: boolean;
  entries: unknown[];
}

export interface ReadinessCheck {
  ok: boolean;
  /** For the log only: never sent (readiness needs no key). */
  message?: string;
}

/** Tunables with defaults (see `DEFAULT_HTTP_CONFIG`). */
export interface HttpConfig {
  /** Largest accepted body, bytes or a `bytes` string like `'1mb'` (DESIGN.md: 1 MB default). */
  bodyLimit: number | string;
  /** Requests per key per window before 429. */
  rateLimit: { windowMs: number; limit: number };
  /** Requests without a valid key per client address per window before 429 (probes apart). */
  anonymousRateLimit: { windowMs: number; limit: number };
  /** `/healthz` and `/readyz` requests per client address per window before 429. */
  probeRateLimit: { windowMs: number; limit: number };
  /**
   * Requests for the dashboard's files (`/ui/…`) per client address per window before 429. They
   * are public and cheap, and one page load fetches about fifteen of them: counted against the
   * anonymous bound, a few reloads would lock a person out of the page.
   */
  uiRateLimit: { windowMs: number; limit: number };
}

export const DEFAULT_HTTP_CONFIG: HttpConfig = {
  bodyLimit: '1mb',
  rateLimit: { windowMs: 60_000, limit: 600 },
  anonymousRateLimit: { windowMs: 60_000, limit: 60 },
  // Ten a second: far above any probe schedule, still a bound on a flood of /readyz store queries.
  probeRateLimit: { windowMs: 60_000, limit: 600 },
  uiRateLimit: { windowMs: 60_000, limit: 600 },
};

/** Everything `createApp` needs. */
export interface AppDeps {
  ingest: IngestPort;
  validate(resource: unknown, opts: ValidateOptions): OperationOutcome | Promise<OperationOutcome>;
  outbox: OutboxPort;
  dashboard: DashboardPort;
  replies: RepliesPort;
  /** The disclosure log of `mrn`; the read is audited (who, which patient) before it answers. */
  disclosures(mrn: string, actor: Actor): Promise<DisclosureLog>;
  /** kap-bridge's CapabilityStatement, built from what the FHIR routes declare (`implemented`). */
  metadata(implemented: readonly FhirCapability[]): CapabilityStatement;
  readiness(): Promise<{ ok: boolean; checks: Record<string, ReadinessCheck> }>;
  metrics: Metrics;
  logger: Logger;
  apiKeys: ApiKeyRegistry;
  clock: { now(): Date };
  /** The practice's IANA zone (`KAP_BRIDGE_TIMEZONE`): the dashboard shows deadlines in it. */
  timeZone: string;
  config?: Partial<HttpConfig>;
}
