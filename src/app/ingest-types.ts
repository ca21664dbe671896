import type { OperationOutcome } from '@medplum/fhirtypes';
import type { MappingOptions } from '../mapping';
import type { OutboxRow, Store } from './ports/store-port';
import type { ResourceValidator } from './ports/validator-port';

/** Everything the ingest use cases need, injected by the composition root (`src/bootstrap/runtime.ts`). */
export interface IngestDeps {
  store: Store;
  validator: ResourceValidator;
  clock: () => Date;
  /** The practice's IANA zone (`KAP_BRIDGE_TIMEZONE`): consent dates and the integration window. */
  timeZone: string;
  /** Destination of rows whose referral names none (a registered destination id). */
  defaultDestinationId: string;
  /** Ids of registered destinations; when given, a referral naming another one gets a warning. */
  knownDestinations?: (id: string) => boolean;
  /** The practice and fullUrl base used by the mapping. */
  mapping?: Partial<MappingOptions>;
  /** Longest accepted update section (characters); the domain default (~1,200) when absent. */
  maxSectionLength?: number;
  /**
   * Most entries an inbound `transaction` / `batch` / message Bundle may hold
   * (`KAP_BRIDGE_MAX_BATCH_ENTRIES`); {@link DEFAULT_MAX_BATCH_ENTRIES} when absent.
   */
  maxBatchEntries?: number;
}

/** The default inbound batch cap: one request never holds the service for long (DESIGN.md §8). */
export const DEFAULT_MAX_BATCH_ENTRIES = 200;

/** Who asked, for the record (an API key name, or `cli`). */
export interface IngestContext {
  actor?: string;
  /**
   * The sender organisations the caller's API key is bound to (DESIGN.md §8): an inbound referral
   * from another organisation is refused (`forbidden`). Undefined: an unbound key (or the CLI).
   */
  senders?: ReadonlyArray<{ system: string; value: string }>;
}

export type IngestStatus = 'created' | 'updated' | 'unchanged' | 'rejected';

/**
 * What an ingest did (the HTTP layer maps `created` → 201, `updated`/`unchanged` → 200,
 * `rejected` → 422, or 409 when the outcome's issue code is `conflict`: the record contradicts
 * what is final, such as a changed re-post of a revoked consent). A rejected record changed nothing.
 */
export interface IngestResult {
  status: IngestStatus;
  outcome: OperationOutcome;
  /** The record's id (for a revocation: the consent's id). */
  recordId?: string;
  /** The record version stored (absent when rejected). */
  version?: number;
  /**
   * One line saying what changed, when the record version is not what a person cares about
   * (a revocation: the Consent's new version and where it goes). Also the outcome's information text.
   */
  headline?: string;
  /** Outbox rows this ingest created. */
  outbox: OutboxRow[];
  /** Existing rows this ingest moved (re-evaluated consent, superseded versions cancelled). */
  changed: OutboxRow[];
}
