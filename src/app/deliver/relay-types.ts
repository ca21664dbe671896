import type { Store } from '../ports/store-port';
import type { ResourceValidator } from '../ports/validator-port';
import type { AttemptResult } from '../../outbox/attempt-result';
import type { DestinationGateway, DestinationRegistry } from '../ports/destination-port';

/** Configuration of the relay (DESIGN.md §8 environment, validated by `bootstrap/settings.ts`). */
export interface RelayConfig {
  /** How long a lease on a row lasts (`KAP_BRIDGE_LEASE_MS`); longer than one push may take. */
  leaseMs: number;
  /** First backoff bound (`KAP_BRIDGE_RETRY_BASE_MS`). */
  retryBaseMs: number;
  /** Attempts in total, then `dead` (`KAP_BRIDGE_RETRY_MAX_ATTEMPTS`). */
  maxAttempts: number;
  /** Cap of one computed backoff delay. Default 1 h. */
  maxDelayMs?: number;
  /** The practice's IANA zone (`KAP_BRIDGE_TIMEZONE`), for consent dates. */
  timeZone: string;
  /** This worker's lease owner id (unique per process: host + pid + random). */
  owner: string;
  /** Rows worked at the same time within one run. Default 8. */
  concurrency?: number;
  /** Pushes in flight to one destination at the same time. Default 4. */
  perDestination?: number;
  /** How long an item for an unregistered destination waits before it is looked at again. Default 5 min. */
  unknownDestinationDelayMs?: number;
}

/** The one log shape the relay uses (pino-compatible). Only ids and outcomes: never PHI. */
export interface RelayLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}

/** Everything the relay needs, injected by the composition root. */
export interface RelayDeps {
  store: Store;
  gateway: DestinationGateway;
  destinations: DestinationRegistry;
  validator: ResourceValidator;
  clock: () => Date;
  /** Uniform in [0, 1), for backoff jitter. */
  random: () => number;
  /** Fresh ids for AuditEvents. Default `crypto.randomUUID`. */
  newId?: () => string;
  config: RelayConfig;
  metrics?: { observeDelivery(result: AttemptResult, seconds: number): void };
  logger?: RelayLogger;
}

/** What one run did, counted per final state of the rows it leased. */
export interface RunSummary {
  leased: number;
  delivered: number;
  retried: number;
  dead: number;
  withheld: number;
  awaiting: number;
  /** Rows given up unrecorded: the lease was lost mid-attempt, or ran out before the push. */
  lost: number;
}

/** The summary field that counts each attempt result (the field names are `sync`'s JSON output: a contract). */
export const SUMMARY_FIELD: Record<AttemptResult, Exclude<keyof RunSummary, 'leased'>> = {
  delivered: 'delivered',
  withheld: 'withheld',
  awaiting: 'awaiting',
  retry: 'retried',
  dead: 'dead',
  lost: 'lost',
};

/** The relay: `runOnce` leases due rows and attempts each once. */
export interface Relay {
  runOnce(options?: { limit?: number }): Promise<RunSummary>;
  /** Runs until no row is due (each row at most `maxAttempts` times); sums the runs. */
  drain(options?: { limit?: number }): Promise<RunSummary>;
}

export function emptySummary(): RunSummary {
  return { leased: 0, delivered: 0, retried: 0, dead: 0, withheld: 0, awaiting: 0, lost: 0 };
}
