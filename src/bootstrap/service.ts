import type { Server } from 'node:http';
import path from 'node:path';
import type { Express } from 'express';
import type { DestinationStream, Logger } from 'pino';
import { Registry } from 'prom-client';
import {
  ConfigError,
  configOf,
  deliveryConfigOf,
  readSettings,
  serviceConfigOf,
  type ServiceConfig,
} from './settings';
import {
  buildDeliveryRuntime,
  buildRuntime,
  loadDestinations,
  loadProjectProfiles,
  SANDBOX_DESTINATION_ID,
  sandboxDestination,
  type DeliveryRuntime,
  type Runtime,
} from './compose';
import type { RunSummary } from '../app/deliver/relay';
import { ensureLocalApiKey, loadApiKeyFile, type LocalApiKey } from '../entry/http/api-key-file';
import { ApiKeyConfigError, type ApiKeyRegistry } from '../entry/http/api-keys';
import { createApp } from '../entry/http/app';
import type { AppDeps } from '../entry/http/app-deps';
import { buildCapabilityStatement, type LoadedProfile } from '../entry/http/capability-statement';
import { createLogger } from '../entry/http/logging';
import { createMetrics } from '../entry/http/metrics';
import { startHttpServer, stopHttpServer } from '../entry/http/server';
import { startSandbox, type Sandbox } from '../sandbox';
import { createDeliveryTrigger, type DeliveryTrigger } from '../entry/schedule/delivery-trigger';
import type { SyncScheduler, TickEvent } from '../entry/schedule/sync-scheduler';
import { dashboardPort } from './dashboard-port';
import {
  disclosuresPort,
  ingestPort,
  metricsSources,
  outboxPort,
  readinessPort,
  repliesPort,
} from './service-ports';

/**
 * `kap-bridge serve` composed (DESIGN.md §6, §8): configuration validated up front, the store,
 * the validator, delivery (destinations, relay, cron sync, ingest-triggered sync), the HTTP app
 * with every port wired to the real use cases, and an orderly shutdown. Part of the composition
 * root: it reads the environment it is given and the clock.
 */

type Env = Readonly<Record<string, string | undefined>>;

export interface ServiceOptions {
  /** A fixed or fake clock (tests); the system clock otherwise. */
  clock?: () => Date;
  /** Where log lines go (tests capture them); stdout otherwise. */
  logDestination?: DestinationStream;
  /**
   * Lines for the person who started the service (the CLI prints them on stderr): the generated
   * API key and the built-in sandbox. The key is never logged.
   */
  notice?: (line: string) => void;
  /** `_count` the reply pull asks for (default 50): a test pages a server's replies with fewer. */
  replyPageSize?: number;
}

/** Everything `serve` runs, built but not listening (tests drive `app` with supertest). */
export interface BuiltService {
  app: Express;
  deps: AppDeps;
  runtime: Runtime;
  delivery: DeliveryRuntime;
  scheduler: SyncScheduler<RunSummary>;
  trigger: DeliveryTrigger;
  logger: Logger;
  serviceConfig: ServiceConfig;
  /** The built-in sandbox destination, when no destinations file is configured. */
  sandbox?: Sandbox;
  /** The generated local key, when `KAP_BRIDGE_API_KEYS` is not set. */
  localKey?: LocalApiKey;
  /** Stops kicks and the cron, waits for a running sync, closes delivery, store and sandbox. */
  close(): Promise<void>;
}

/** A listening service. */
export interface RunningService extends BuiltService {
  /** `http://host:port` of the API. */
  url: string;
  server: Server;
  /** Milliseconds from the call to accepting connections. */
  startupMs: number;
  /** Graceful shutdown: stop accepting, finish the running sync and open requests, close all. */
  stop(): Promise<void>;
}

export { SANDBOX_DESTINATION_ID, sandboxDestination };

/** Reads every setting at once so one start reports every problem (exit 2 in the CLI). */
function readAll(env: Env) {
  const problems: string[] = [];
  const attempt = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
      else if (err instanceof ApiKeyConfigError) problems.push(err.message);
      else throw err;
      return undefined;
    }
  };
  // Every variable of the schema at once, so one start reports every problem.
  const settings = attempt(() => readSettings(env));
  const config = settings && configOf(settings);
  const service = settings && serviceConfigOf(settings);
  const delivery = settings && deliveryConfigOf(settings);
  // Fail before anything opens: the destinations file and the keys file must be readable and valid.
  const file = delivery?.destinationsFile;
  const registered = file ? attempt(() => loadDestinations(file, env).destinations.map((d) => d.id)) : [];
  const keys = service?.apiKeysFile
    ? attempt(() => loadApiKeyFile(service.apiKeysFile as string))
    : undefined;
  if (problems.length > 0 || !config || !service || !delivery) throw new ConfigError(problems);
  return { env, config, service, delivery, keys, registered: registered ?? [] };
}

/** Builds the service for `env` without listening. Throws `ConfigError` for a bad configuration. */
export async function buildService(env: Env, options: ServiceOptions = {}): Promise<BuiltService> {
  const settings = readAll(env);
  const notice = options.notice ?? (() => undefined);
  const logger = createLogger({
    level: settings.service.logLevel,
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  });
  for (const w of settings.keys?.warnings ?? []) logger.warn({ warning: w }, 'api keys file');
  const { apiKeys, localKey } = keysOf(settings.keys?.registry, settings.service, logger, notice);
  const sandbox = settings.delivery.destinationsFile ? undefined : await startSandbox({ host: '127.0.0.1' });
  const cleanup: Array<() => Promise<void>> = sandbox ? [() => sandbox.close()] : [];
  try {
    const known = new Set([...settings.registered, ...(sandbox ? [SANDBOX_DESTINATION_ID] : [])]);
    const runtime = await buildRuntime(settings.config, {
      knownDestinations: (id) => known.has(id),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    cleanup.unshift(() => runtime.close());
    if (sandbox) announceSandbox(sandbox, settings.config.defaultDestinationId, logger, notice);
    const pageSize = options.replyPageSize ? { replyPageSize: options.replyPageSize } : {};
    return await compose(runtime, settings, { logger, apiKeys, localKey, sandbox, cleanup, ...pageSize });
  } catch (err) {
    for (const close of cleanup) await close();
    throw err;
  }
}

interface Parts {
  logger: Logger;
  apiKeys: ApiKeyRegistry;
  localKey: LocalApiKey | undefined;
  sandbox: Sandbox | undefined;
  cleanup: Array<() => Promise<void>>;
  replyPageSize?: number;
}

async function compose(
  runtime: Runtime,
  settings: ReturnType<typeof readAll>,
  parts: Parts,
): Promise<BuiltService> {
  const { logger, sandbox } = parts;
  const t0 = performance.now();
  runtime.validator(); // load the R4 definitions and profiles now, not on the first request
  let validatorLoaded = true;
  logger.info({ ms: Math.round(performance.now() - t0) }, 'validator loaded (R4 + project profiles)');
  const metrics = createMetrics(new Registry(), metricsSources(runtime));
  const delivery = buildDeliveryRuntime(runtime, settings.delivery, settings.env, {
    logger,
    metrics,
    ...(sandbox ? { extraDestinations: [sandboxDestination(sandbox)] } : {}),
    ...(parts.replyPageSize ? { replyPageSize: parts.replyPageSize } : {}),
  });
  // Each refers to the other only inside callbacks, which run after both exist.
  const trigger: DeliveryTrigger = createDeliveryTrigger({
    tick: () => scheduler.tick(),
    running: () => scheduler.running,
  });
  const scheduler = delivery.scheduler((event) => {
    logTick(logger, event);
    if (event.kind !== 'skipped') trigger.syncEnded();
  });
  const kick = trigger.kick;
  const deps: AppDeps = {
    ingest: ingestPort(runtime, kick),
    validate: (resource, opts) => runtime.validator().validate(resource, opts),
    outbox: outboxPort(runtime, kick),
    dashboard: dashboardPort(runtime),
    replies: repliesPort(runtime),
    disclosures: disclosuresPort(runtime),
    metadata: metadataOf(runtime.clock()),
    readiness: readinessPort(runtime, () => validatorLoaded),
    metrics,
    logger,
    apiKeys: parts.apiKeys,
    clock: { now: runtime.clock },
    timeZone: runtime.config.timeZone,
    config: {
      bodyLimit: settings.service.bodyLimitBytes,
      rateLimit: { windowMs: 60_000, limit: settings.service.rateLimitPerMinute },
      anonymousRateLimit: { windowMs: 60_000, limit: settings.service.anonymousRateLimitPerMinute },
      probeRateLimit: { windowMs: 60_000, limit: settings.service.probeRateLimitPerMinute },
    },
  };
  const closeAll = async (): Promise<void> => {
    trigger.stop();
    await scheduler.stop();
    validatorLoaded = false;
    await delivery.close();
    for (const close of parts.cleanup) await close();
  };
  return {
    app: createApp(deps),
    deps,
    runtime,
    delivery,
    scheduler,
    trigger,
    logger,
    serviceConfig: settings.service,
    ...(sandbox ? { sandbox } : {}),
    ...(parts.localKey ? { localKey: parts.localKey } : {}),
    close: closeAll,
  };
}

/** Builds and starts the service: listens on `HOST:PORT`, starts the cron, drains leftovers. */
export async function startService(env: Env, options: ServiceOptions = {}): Promise<RunningService> {
  const t0 = performance.now();
  const built = await buildService(env, options);
  let server: Server;
  try {
    server = await startHttpServer(built.app, {
      port: built.serviceConfig.port,
      host: built.serviceConfig.host,
    });
  } catch (err) {
    await built.close();
    throw err;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : built.serviceConfig.port;
  const host = built.serviceConfig.host.includes(':')
    ? `[${built.serviceConfig.host}]`
    : built.serviceConfig.host;
  const url = `http://${host}:${port}`;
  let stopping: Promise<void> | undefined;
  // The sync starts just after the service answers (its first tick is minutes away; node-cron's
  // time-zone set-up showed in the start-up profile), unless it is stopped first.
  setImmediate(() => {
    if (stopping) return;
    built.scheduler.start();
    built.trigger.kick(); // rows left queued by an earlier run go out now, not at the next tick
  });
  const startupMs = Math.round(performance.now() - t0);
  built.logger.info(
    {
      url,
      startupMs,
      destinations: built.delivery.destinations.list().map((d) => d.id),
      syncCron: built.delivery.config.syncCron,
    },
    'kap-bridge listening',
  );
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      built.logger.info({}, 'shutting down: finishing the running sync and open requests');
      await Promise.all([stopHttpServer(server), built.close()]);
      built.logger.info({}, 'stopped');
    })());
  return { ...built, url, server, startupMs, stop };
}

function keysOf(
  registry: ApiKeyRegistry | undefined,
  config: ServiceConfig,
  logger: Logger,
  notice: (line: string) => void,
): { apiKeys: ApiKeyRegistry; localKey?: LocalApiKey } {
  if (registry) {
    logger.info({ keys: registry.size }, 'api keys loaded');
    return { apiKeys: registry };
  }
  const localKey = ensureLocalApiKey(config.dataDir);
  const file = path.resolve(localKey.path);
  logger.info(
    { keyFile: file, generated: localKey.created, hashed: localKey.migrated ?? false },
    'no KAP_BRIDGE_API_KEYS: using the local key file',
  );
  notice(localKeyNotice(localKey, file));
  return { apiKeys: loadApiKeyFile(localKey.path).registry, localKey };
}

/**
 * What the person who started `serve` is told about the local key. The key is shown only when it
 * is created (or when an older plain-text file is converted): the file keeps its SHA-256 only
 * (DESIGN.md §8), so later starts can say where it is, not what it is.
 */
function localKeyNotice(localKey: LocalApiKey, file: string): string {
  const use = 'send it as "Authorization: Bearer <key>"';
  if (localKey.key && localKey.created) {
    return `API key for local use (every scope): ${localKey.key}\n  shown this once: ${file} keeps only its SHA-256; ${use}`;
  }
  if (localKey.key) {
    return `API key for local use (every scope): ${localKey.key}\n  shown a last time: ${file} held it in plain text and now keeps only its SHA-256; ${use}`;
  }
  return `API keys for local use are in ${file} (SHA-256 only; the key was shown when the file was created — to make a new one, delete the file and restart)`;
}

function announceSandbox(
  sandbox: Sandbox,
  defaultId: string,
  logger: Logger,
  notice: (l: string) => void,
): void {
  const text = `no destinations file: delivering to the built-in sandbox at ${sandbox.url} (nothing leaves this machine)`;
  logger.warn({ sandboxUrl: sandbox.url, destination: SANDBOX_DESTINATION_ID }, text);
  // The token goes to the person who started serve, once, and never to the log (DESIGN.md §8).
  notice(`${text}\nsandbox token: ${sandbox.token}`);
  if (defaultId !== SANDBOX_DESTINATION_ID) {
    const warn = `KAP_BRIDGE_DEFAULT_DESTINATION is "${defaultId}", not "${SANDBOX_DESTINATION_ID}": referrals naming no destination wait until "${defaultId}" is configured`;
    logger.warn({ defaultDestination: defaultId }, warn);
    notice(warn);
  }
}

function metadataOf(startedAt: Date): AppDeps['metadata'] {
  const profiles: LoadedProfile[] = loadProjectProfiles()
    .flatMap((p) => p.structureDefinitions)
    .filter((sd) => sd.kind === 'resource' && sd.derivation === 'constraint' && sd.url && sd.type)
    .map((sd) => ({ url: sd.url as string, type: sd.type as string }));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { version } = require('../../package.json') as { version: string };
  // The route table is fixed once the app is built: the statement is built once, on first ask.
  let statement: ReturnType<typeof buildCapabilityStatement> | undefined;
  return (implemented) =>
    (statement ??= buildCapabilityStatement({ version, date: startedAt, profiles, implemented }));
}

function logTick(logger: Logger, event: TickEvent<RunSummary>): void {
  if (event.kind === 'completed' && event.result.leased > 0)
    logger.info({ ...event.result }, 'sync finished');
  if (event.kind === 'failed') logger.error({ errType: (event.error as Error)?.name }, 'sync failed');
}
