import { createIngestUseCases, type IngestUseCases } from '../app';
import { createOutboxOperations, type OutboxOperations } from '../app/outbox-operations';
import { readConfig, type Config } from './settings';
import { loadProjectProfiles } from '../adapters/fhir-packages/load-package';
import { createValidator, type FhirValidator } from '../fhir/validator';
import { openStore } from '../adapters/store/open-store';
import type { Store } from '../app/ports/store-port';

/**
 * The composition root (DESIGN.md §9): the one place that reads `process.env`, reads the clock
 * and builds real adapters. Entry points (CLI, HTTP, schedule) get a {@link Runtime} from here.
 */
export interface Runtime {
  config: Config;
  store: Store;
  /** Built on first use: loading the R4 definitions and profiles takes a while. */
  validator(): FhirValidator;
  clock: () => Date;
  ingest: IngestUseCases;
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
  const ingest = createIngestUseCases({
    store,
    validator: { validate: (resource) => validator().validate(resource) },
    clock,
    timeZone: config.timeZone,
    defaultDestinationId: config.defaultDestinationId,
    mapping: config.mapping,
    maxBatchEntries: config.maxBatchEntries,
    ...(overrides.knownDestinations ? { knownDestinations: overrides.knownDestinations } : {}),
    ...(config.maxSectionLength ? { maxSectionLength: config.maxSectionLength } : {}),
  });
  return {
    config,
    store,
    validator,
    clock,
    ingest,
    outbox: createOutboxOperations({ store, clock }),
    close: () => store.close(),
  };
}

/** Reads the configuration from `env` (throws `ConfigError` with every problem) and builds the runtime. */
export function runtimeFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<Runtime> {
  return buildRuntime(readConfig(env));
}
