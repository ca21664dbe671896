import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, type DeliveryConfig } from './settings';
import { createAuthProvider, loadAuthSecrets } from '../adapters/destination/auth';
import type { AuthProvider, AuthSecrets } from '../adapters/destination/auth';
import {
  createDestinationRegistry,
  parseDestinations,
  type Destination,
  type DestinationRegistry,
} from '../adapters/destination/destinations';
import { createDestinationReader } from '../adapters/destination/destination-reader';
import { createFhirGateway } from '../adapters/destination/fhir-gateway';
import { createGuardedHttpClient } from '../adapters/destination/http-client';
import { createRelay, type Relay, type RelayDeps, type RelayLogger } from '../app/deliver/relay';
import type { Store } from '../app/ports/store-port';
import type { FhirValidator } from '../fhir/validator';
import { nodeCronEngine } from '../entry/schedule/node-cron-engine';
import { createSyncScheduler, type SyncScheduler } from '../entry/schedule/sync-scheduler';
import type { RunSummary } from '../app/deliver/relay';
import { createReplyPull, type PullSummary, type ReplyPull } from '../app/pull-replies';
import type { ReplyUseCases } from '../app/replies';
import { DEFAULT_PRACTICE, type MappingOptions } from '../mapping';

/**
 * Composition of delivery (DESIGN.md §6, §8): the destinations file, the guarded HTTP client,
 * auth per destination, the FHIR gateway, the relay and the scheduled sync. Part of the
 * composition root (`compose.ts` is its front door): settings come in already validated.
 */

type Env = Readonly<Record<string, string | undefined>>;

/** Reads and checks the destinations file (not its secrets); throws `ConfigError` on any problem. */
function readDestinationsFile(file: string): Destination[] {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([`KAP_BRIDGE_DESTINATIONS: cannot read ${file}: ${(err as Error).message}`]);
  }
  const parsed = parseDestinations(raw);
  if (!parsed.ok) {
    throw new ConfigError((parsed.outcome.issue ?? []).map((i) => `${file}: ${i.details?.text ?? i.code}`));
  }
  return parsed.destinations;
}

/**
 * The ids registered in the destinations file, for commands that only queue (`ingest`): they warn
 * about a referral whose destination is not registered, and need no delivery secrets for that.
 */
export function registeredDestinationIds(file: string): Set<string> {
  return new Set(readDestinationsFile(file).map((d) => d.id));
}

/** Reads and checks the destinations file and its secrets; throws `ConfigError` on any problem. */
export function loadDestinations(
  file: string,
  env: Env,
): { destinations: Destination[]; secrets: ReturnType<typeof loadAuthSecrets> } {
  const destinations = readDestinationsFile(file);
  const secrets = loadAuthSecrets(destinations, {
    env,
    readTextFile: (f) => fs.readFileSync(f, 'utf8'),
    baseDir: path.dirname(path.resolve(file)),
  });
  if (!secrets.ok) throw new ConfigError(secrets.errors);
  return { destinations, secrets };
}

/** What delivery needs of the runtime (`compose.ts`'s `Runtime` has it). */
export interface DeliveryBase {
  store: Store;
  validator(): FhirValidator;
  clock: () => Date;
  config: { timeZone: string; mapping?: Pick<MappingOptions, 'practice'> };
  /** The reply receipt the pull stores through (DESIGN.md §6b); without it nothing is pulled. */
  replies?: Pick<ReplyUseCases, 'receive'>;
}

export interface DeliveryRuntime {
  config: DeliveryConfig;
  destinations: DestinationRegistry;
  relay: Relay;
  /** Reads replies from destinations with `"pullReplies": true` (DESIGN.md §6b). */
  replyPull: ReplyPull;
  /**
   * One sync: drain the outbox, then pull replies (a pull that fails is logged and retried next
   * time; it never fails the drain). What the scheduler ticks and `sync` runs.
   */
  sync(): Promise<RunSummary>;
  /** The scheduled sync over {@link sync}; `onTick` hears every tick. */
  scheduler(
    onTick?: Parameters<typeof createSyncScheduler<RunSummary>>[0]['onTick'],
  ): SyncScheduler<RunSummary>;
  close(): Promise<void>;
}

/** Extras `serve` and `demo` pass in (the sync command needs none). */
export interface DeliveryRuntimeOptions {
  logger?: RelayLogger;
  metrics?: RelayDeps['metrics'];
  /**
   * Destinations registered besides the file's (the built-in sandbox of `serve`/`demo` when no
   * destinations file is configured, DESIGN.md §8), each with the secrets its auth needs — handed
   * in, not read from the environment (the sandbox's token is generated at start).
   */
  extraDestinations?: ExtraDestination[];
  /** `_count` the reply pull asks each server for (default 50; tests page with fewer). */
  replyPageSize?: number;
}

/** A destination registered by the composition root itself, with its secrets. */
export interface ExtraDestination {
  destination: Destination;
  secrets?: AuthSecrets;
}

/** Builds the relay and the scheduler on top of the core runtime. */
export function buildDeliveryRuntime(
  rt: DeliveryBase,
  config: DeliveryConfig,
  env: Env,
  options: DeliveryRuntimeOptions = {},
): DeliveryRuntime {
  const { logger, metrics } = options;
  const loaded = config.destinationsFile ? loadDestinations(config.destinationsFile, env) : undefined;
  const extras = options.extraDestinations ?? [];
  const destinations = [...(loaded?.destinations ?? []), ...extras.map((e) => e.destination)];
  // A push must end well inside its lease, or a second worker could take the row over mid-send.
  const http = createGuardedHttpClient({ totalTimeoutMs: Math.min(30_000, Math.floor(config.leaseMs / 3)) });
  const now = () => rt.clock().getTime();
  const auth = new Map<string, AuthProvider>();
  for (const d of destinations) {
    const secrets =
      extras.find((e) => e.destination === d)?.secrets ??
      (loaded?.secrets.ok ? loaded.secrets.secrets.get(d.id) : undefined);
    auth.set(d.id, createAuthProvider(d, secrets, { http, now }));
  }
  const gateway = createFhirGateway({
    http,
    now,
    authFor: (d) => authFor(auth, d),
  });
  const relay = createRelay({
    store: rt.store,
    gateway,
    destinations: createDestinationRegistry(destinations),
    validator: { validate: (r) => rt.validator().validate(r) },
    clock: rt.clock,
    random: Math.random,
    config: {
      leaseMs: config.leaseMs,
      retryBaseMs: config.retryBaseMs,
      maxAttempts: config.maxAttempts,
      timeZone: rt.config.timeZone,
      owner: `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    },
    ...(logger ? { logger } : {}),
    ...(metrics ? { metrics } : {}),
  });
  const registry = createDestinationRegistry(destinations);
  const replyPull = createReplyPull({
    store: rt.store,
    reader: createDestinationReader({ http, now, authFor: (d) => authFor(auth, d) }),
    destinations: registry,
    receive: (resource, origin) =>
      rt.replies ? rt.replies.receive(resource, origin) : Promise.reject(new Error('no reply receipt')),
    practiceIdentifier: (rt.config.mapping?.practice ?? DEFAULT_PRACTICE).identifier,
    clock: rt.clock,
    ...(options.replyPageSize ? { pageSize: options.replyPageSize } : {}),
  });
  const sync = async (): Promise<RunSummary> => {
    const summary = await relay.drain();
    // The pull never fails the drain's sync: its own failures are in its summary; a bug is logged.
    if (rt.replies) {
      await replyPull.pull().then(
        (pulled) => logPull(logger, pulled),
        (err: unknown) => logger?.warn({ errType: (err as Error)?.name }, 'reply pull failed'),
      );
    }
    return summary;
  };
  return {
    config,
    destinations: registry,
    relay,
    replyPull,
    sync,
    scheduler: (onTick) =>
      createSyncScheduler({
        sync,
        cron: nodeCronEngine(rt.config.timeZone),
        expression: config.syncCron,
        ...(onTick ? { onTick } : {}),
      }),
    close: () => http.close(),
  };
}

function authFor(auth: ReadonlyMap<string, AuthProvider>, d: Destination): AuthProvider {
  const a = auth.get(d.id);
  if (!a) throw new Error(`no auth provider for destination "${d.id}"`);
  return a;
}

/**
 * A pull's counts (no content: ids and numbers only); each failure as a warning naming only the
 * destination — the reason may quote what the destination answered, which is evidence, not log
 * material (`sync --once` prints it to the operator).
 */
function logPull(logger: RelayLogger | undefined, s: PullSummary): void {
  if (!logger || s.destinations === 0) return;
  if (s.received + s.refused > 0) logger.info({ ...s, failed: s.failed.length }, 'replies pulled');
  for (const f of s.failed) logger.warn({ destinationId: f.destinationId }, 'reply pull stopped early');
}
