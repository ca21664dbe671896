import { createIngestUseCases, type IngestDeps, type IngestUseCases } from '../app';
import { createOutboxOperations, type OutboxOperations } from '../app/outbox-operations';
import { createReplyUseCases, type ReplyUseCases } from '../app/replies';
import { processEnvironment, readConfig, readDeliveryConfig, type Config } from './settings';
import { loadProjectProfiles } from '../adapters/fhir-packages/load-package';
import { createValidator, type FhirValidator } from '../fhir/validator';
import { openStore } from '../adapters/store/open-store';
import type { Store } from '../app/ports/store-port';
import type { Sandbox } from '../sandbox';
import {
  buildDeliveryRuntime,
  registeredDestinationIds,
  type DeliveryRuntime,
  type ExtraDestination,
} from './compose-delivery';

export {
  buildDeliveryRuntime,
  loadDestinations,
  type DeliveryRuntime,
  type ExtraDestination,
} from './compose-delivery';

/**
 * The composition root (DESIGN.md §9): the only place that builds adapters (the store, the
 * validator, delivery's gateway and relay, the offline tools' package and key readers). Every
 * entry point — `serve`, `sync`, `ingest`, `outbox`, `disclosures`, `demo`, `validate`, `jwks` —
 * gets what it runs from here; settings come from `settings.ts`, the only reader of the
 * environment.
 */

type Env = Readonly<Record<string, string | undefined>>;

/** The store, the validator and the use cases over them. */
export interface Runtime {
  config: Config;
  store: Store;
  /** Built on first use: loading the R4 definitions and profiles takes a while. */
  validator(): FhirValidator;
  clock: () => Date;
  ingest: IngestUseCases;
  /** Replies from referring clinicians and the per-referral messages view (DESIGN.md §6b). */
  replies: ReplyUseCases;
  outbox: OutboxOperations;
  close(): Promise<void>;
}

export interface RuntimeOverrides {
  /** A fixed or fake clock (tests, demos); the system clock otherwise. */
  clock?: () => Date;
  /**
   * Ids of the registered destinations (`serve`, `demo`): a referral naming another one is stored
   * with a warning that its items wait until that destination is configured.
   */
  knownDestinations?: (id: string) => boolean;
}

/** Opens the store and builds the use cases for `config`. Close the runtime when done. */
export async function buildRuntime(config: Config, overrides: RuntimeOverrides = {}): Promise<Runtime> {
  const clock = overrides.clock ?? (() => new Date());
  let built: FhirValidator | undefined;
  const validator = (): FhirValidator => (built ??= createValidator({ packages: loadProjectProfiles() }));
  const store = await openStore(config.databaseUrl);
  const ingestDeps: IngestDeps = {
    store,
    validator: { validate: (resource) => validator().validate(resource) },
    clock,
    timeZone: config.timeZone,
    defaultDestinationId: config.defaultDestinationId,
    mapping: config.mapping,
    maxBatchEntries: config.maxBatchEntries,
    ...(overrides.knownDestinations ? { knownDestinations: overrides.knownDestinations } : {}),
    ...(config.maxSectionLength ? { maxSectionLength: config.maxSectionLength } : {}),
  };
  return {
    config,
    store,
    validator,
    clock,
    ingest: createIngestUseCases(ingestDeps),
    replies: createReplyUseCases(ingestDeps),
    outbox: createOutboxOperations({ store, clock }),
    close: () => store.close(),
  };
}

/** Reads the configuration from `env` (throws `ConfigError` with every problem) and builds the runtime. */
export function runtimeFromEnv(env: Env = processEnvironment()): Promise<Runtime> {
  return buildRuntime(readConfig(env));
}

/**
 * The runtime of the commands that only queue (`ingest`): when a destinations file is configured,
 * it knows the registered ids, so a referral whose destination is not registered is stored with
 * a warning at once, as `serve` does. No delivery secrets are needed for that.
 */
export function ingestRuntimeFromEnv(env: Env = processEnvironment()): Promise<Runtime> {
  const config = readConfig(env);
  const file = readDeliveryConfig(env).destinationsFile;
  if (!file) return buildRuntime(config);
  const ids = registeredDestinationIds(file);
  return buildRuntime(config, { knownDestinations: (id) => ids.has(id) });
}

/** Runs `fn` with a runtime built from `env`, closing it afterwards. */
export async function withRuntime<T>(
  fn: (rt: Runtime) => Promise<T>,
  open: (env: Env) => Promise<Runtime> = runtimeFromEnv,
  env: Env = processEnvironment(),
): Promise<T> {
  const rt = await open(env);
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

/** What `sync` runs: the runtime and delivery over it (no sandbox: only the destinations file). */
export interface SyncParts {
  runtime: Runtime;
  delivery: DeliveryRuntime;
  close(): Promise<void>;
}

/** Builds the runtime and delivery from `env` (settings validated first; throws `ConfigError`). */
export async function syncFromEnv(env: Env = processEnvironment()): Promise<SyncParts> {
  const config = readConfig(env);
  const deliveryConfig = readDeliveryConfig(env);
  const runtime = await buildRuntime(config);
  let delivery: DeliveryRuntime;
  try {
    delivery = buildDeliveryRuntime(runtime, deliveryConfig, env);
  } catch (err) {
    await runtime.close();
    throw err;
  }
  return {
    runtime,
    delivery,
    close: async () => {
      await delivery.close();
      await runtime.close();
    },
  };
}

/** The built-in sandbox as a destination: local, so plain HTTP on loopback is allowed. */
export const SANDBOX_DESTINATION_ID = 'sandbox';

/**
 * The built-in sandbox as a registered destination (`serve` and `demo` without a destinations
 * file), authorised with the token the sandbox was started with.
 */
export function sandboxDestination(sandbox: Pick<Sandbox, 'url' | 'token'>): ExtraDestination {
  return {
    destination: {
      id: SANDBOX_DESTINATION_ID,
      baseUrl: sandbox.url,
      // Never looked up: an extra destination's token is handed in below, not read from the environment.
      auth: { type: 'bearer', tokenEnv: 'generated-sandbox-token' },
      transport: 'auto',
      referencedResources: 'create-if-missing',
      // Local by construction: the sandbox listens on loopback inside this process.
      allowInsecure: true,
      allowPrivateNetwork: true,
      // It stands in for the clinician's EHR: replies written there reach the practice (§6b).
      pullReplies: true,
    },
    secrets: { bearerToken: sandbox.token },
  };
}

/**
 * The adapters the CLI's offline tools use (`validate` reads FHIR packages, `jwks` reads the
 * destinations file and signing keys). Entry points never import an adapter (DESIGN.md §9).
 */
export { loadFhirPackage, loadProjectProfiles } from '../adapters/fhir-packages/load-package';
export { parseDestinations } from '../adapters/destination/destinations';
export {
  buildJwks,
  generateSigningKey,
  publicJwkFromPrivatePem,
  type PublicJwk,
} from '../adapters/destination/auth';
