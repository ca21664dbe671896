import { mappingOptions, practiceInfo, type MappingOptions } from '../mapping';
import { SETTINGS, SETTING_NAMES, type SettingName, type Settings, type LogLevel } from './settings-schema';

export {
  LOG_LEVELS,
  SETTINGS,
  SETTING_NAMES,
  type LogLevel,
  type SettingName,
  type Settings,
} from './settings-schema';

/**
 * Settings (DESIGN.md §8, §9): every environment variable is a row of the schema in
 * `settings-schema.ts`, read and validated by {@link readSettings} only. The typed views below
 * ({@link Config}, {@link ServiceConfig}, {@link DeliveryConfig}) are what the composition root
 * builds from.
 */

/** The settings of every command that opens the store (DESIGN.md §8). */
export interface Config {
  /** `DATABASE_URL`: `sqlite:PATH` (default `sqlite:./data/kap-bridge.db`) or `postgres://…`. */
  databaseUrl: string;
  /** `KAP_BRIDGE_TIMEZONE`: the practice's IANA zone (default `America/Los_Angeles`). */
  timeZone: string;
  /**
   * `KAP_BRIDGE_DEFAULT_DESTINATION`: the registered destination id for referrals that name
   * none (default `sandbox`, the built-in sandbox destination).
   */
  defaultDestinationId: string;
  /** `KAP_BRIDGE_MAX_SECTION_LENGTH`: longest update section in characters (default: domain's, 1,200). */
  maxSectionLength?: number;
  /**
   * `KAP_BRIDGE_MAX_BATCH_ENTRIES` (default 200): most entries in one inbound `transaction`,
   * `batch` or message Bundle; a larger one is refused (413) before any work (DESIGN.md §8).
   */
  maxBatchEntries: number;
  /**
   * Who the practice is, for every mapping (`KAP_BRIDGE_PRACTICE_ID`, `_NAME`, `_NPI`): the
   * Organization that performs referrals, keeps consents and sends updates. Defaults are a
   * placeholder for local use.
   */
  mapping: MappingOptions;
}

/** Thrown by {@link readSettings}; `problems` lists every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The process environment. The one place that reads `process.env` (DESIGN.md §9): entry points
 * pass it to {@link readSettings} (or to the composition root) rather than reading a variable.
 */
export function processEnvironment(): Env {
  return process.env;
}

/**
 * Reads and validates the variables `names` (every variable of the schema by default) at once;
 * throws {@link ConfigError} listing every problem, each with the variable's name, so nothing
 * starts with a bad value (fail fast). A command reads only the variables it uses: a bad `PORT`
 * does not stop `ingest` or `sync`.
 */
export function readSettings<K extends SettingName = SettingName>(
  env: Env,
  names: readonly K[] = SETTING_NAMES as K[],
): Pick<Settings, K> {
  const problems: string[] = [];
  const values: Partial<Record<SettingName, unknown>> = {};
  for (const name of names) {
    const setting = SETTINGS[name];
    const raw = env[name]?.trim();
    if (!raw) {
      values[name] = setting.default;
      continue;
    }
    const parsed = (setting.parse as (raw: string) => { value: unknown } | { problem: string })(raw);
    if ('problem' in parsed) problems.push(`${name}: ${parsed.problem}`);
    else values[name] = parsed.value;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return values as Pick<Settings, K>;
}

const PRACTICE = ['KAP_BRIDGE_PRACTICE_ID', 'KAP_BRIDGE_PRACTICE_NAME', 'KAP_BRIDGE_PRACTICE_NPI'] as const;
const MAPPING = ['KAP_BRIDGE_MAX_SECTION_LENGTH', ...PRACTICE] as const;
/** The variables of {@link Config}: what every command that opens the store needs. */
export const CORE_SETTINGS = [
  'DATABASE_URL',
  'KAP_BRIDGE_TIMEZONE',
  'KAP_BRIDGE_DEFAULT_DESTINATION',
  'KAP_BRIDGE_MAX_BATCH_ENTRIES',
  ...MAPPING,
] as const;
/** The variables of {@link ServiceConfig}. */
export const SERVICE_SETTINGS = [
  'HOST',
  'PORT',
  'KAP_BRIDGE_API_KEYS',
  'KAP_BRIDGE_DATA_DIR',
  'LOG_LEVEL',
  'KAP_BRIDGE_BODY_LIMIT',
  'KAP_BRIDGE_RATE_LIMIT',
  'KAP_BRIDGE_ANON_RATE_LIMIT',
  'KAP_BRIDGE_PROBE_RATE_LIMIT',
] as const;
/** The variables of {@link DeliveryConfig}. */
export const DELIVERY_SETTINGS = [
  'KAP_BRIDGE_DESTINATIONS',
  'KAP_BRIDGE_LEASE_MS',
  'KAP_BRIDGE_RETRY_BASE_MS',
  'KAP_BRIDGE_RETRY_MAX_ATTEMPTS',
  'KAP_BRIDGE_SYNC_CRON',
] as const;

/** Reads and validates the configuration; throws {@link ConfigError} listing every problem. */
export function readConfig(env: Env): Config {
  return configOf(readSettings(env, CORE_SETTINGS));
}

/** {@link Config} of settings already read. */
export function configOf(s: Pick<Settings, (typeof CORE_SETTINGS)[number]>): Config {
  const { maxSectionLength, mapping } = mappingConfigOf(s);
  return {
    databaseUrl: s.DATABASE_URL,
    timeZone: s.KAP_BRIDGE_TIMEZONE,
    defaultDestinationId: s.KAP_BRIDGE_DEFAULT_DESTINATION,
    mapping,
    maxBatchEntries: s.KAP_BRIDGE_MAX_BATCH_ENTRIES,
    ...(maxSectionLength ? { maxSectionLength } : {}),
  };
}

/**
 * What `map` needs without opening a store: the section bound (the same as ingest's, so `map`
 * never accepts an update that ingest refuses) and the practice (so `map` prints the
 * Organization ingest would store). Throws {@link ConfigError} listing every problem.
 */
export function readMappingConfig(env: Env): { maxSectionLength?: number; mapping: MappingOptions } {
  return mappingConfigOf(readSettings(env, MAPPING));
}

function mappingConfigOf(s: Pick<Settings, (typeof MAPPING)[number]>): {
  maxSectionLength?: number;
  mapping: MappingOptions;
} {
  const practice = practiceInfo({
    id: s.KAP_BRIDGE_PRACTICE_ID,
    name: s.KAP_BRIDGE_PRACTICE_NAME,
    npi: s.KAP_BRIDGE_PRACTICE_NPI,
  });
  const max = s.KAP_BRIDGE_MAX_SECTION_LENGTH;
  return { mapping: mappingOptions({ practice }), ...(max ? { maxSectionLength: max } : {}) };
}

/** `KAP_BRIDGE_TIMEZONE`, validated (the `consent decide` command's only setting). */
export function readTimeZone(env: Env): string {
  return readSettings(env, ['KAP_BRIDGE_TIMEZONE']).KAP_BRIDGE_TIMEZONE;
}

/**
 * Settings only `kap-bridge serve` needs (DESIGN.md §8), read apart from {@link Config} so a bad
 * `PORT` does not stop `ingest` or `sync`. Delivery settings (destinations file, sync cron, lease,
 * retries) are {@link DeliveryConfig}.
 */
export interface ServiceConfig {
  /** `HOST` (default `127.0.0.1`): exposure beyond this machine is a decision, not a default. */
  host: string;
  /** `PORT` (default 8080; 0 picks a free port). */
  port: number;
  /** `KAP_BRIDGE_API_KEYS`: the keys file; absent → a local key is generated under `dataDir`. */
  apiKeysFile?: string;
  /** `KAP_BRIDGE_DATA_DIR` (default `./data`): where the generated local key file is kept (0700). */
  dataDir: string;
  /** `LOG_LEVEL` (default `info`): a pino level. */
  logLevel: LogLevel;
  /** `KAP_BRIDGE_BODY_LIMIT` (default 1 MB): largest request body in bytes (`1048576`, `512kb`, `2mb`). */
  bodyLimitBytes: number;
  /** `KAP_BRIDGE_RATE_LIMIT` (default 600): requests per API key per minute before 429. */
  rateLimitPerMinute: number;
  /**
   * `KAP_BRIDGE_ANON_RATE_LIMIT` (default 60): requests without a valid key per client address
   * per minute before 429 (DESIGN.md §8); `/healthz` and `/readyz` are bounded apart.
   */
  anonymousRateLimitPerMinute: number;
  /** `KAP_BRIDGE_PROBE_RATE_LIMIT` (default 600): `/healthz` and `/readyz` requests per client address per minute. */
  probeRateLimitPerMinute: number;
}

/** Reads and validates the `serve` settings; throws {@link ConfigError} listing every problem. */
export function readServiceConfig(env: Env): ServiceConfig {
  return serviceConfigOf(readSettings(env, SERVICE_SETTINGS));
}

/** {@link ServiceConfig} of settings already read. */
export function serviceConfigOf(s: Pick<Settings, (typeof SERVICE_SETTINGS)[number]>): ServiceConfig {
  return {
    host: s.HOST,
    port: s.PORT,
    dataDir: s.KAP_BRIDGE_DATA_DIR,
    logLevel: s.LOG_LEVEL,
    bodyLimitBytes: s.KAP_BRIDGE_BODY_LIMIT,
    rateLimitPerMinute: s.KAP_BRIDGE_RATE_LIMIT,
    anonymousRateLimitPerMinute: s.KAP_BRIDGE_ANON_RATE_LIMIT,
    probeRateLimitPerMinute: s.KAP_BRIDGE_PROBE_RATE_LIMIT,
    ...(s.KAP_BRIDGE_API_KEYS ? { apiKeysFile: s.KAP_BRIDGE_API_KEYS } : {}),
  };
}

/** Delivery settings (DESIGN.md §6): the destinations file, leases, retries, the sync schedule. */
export interface DeliveryConfig {
  /** `KAP_BRIDGE_DESTINATIONS`: path of the destinations file; none → nothing can be delivered. */
  destinationsFile?: string;
  /** `KAP_BRIDGE_LEASE_MS` (default 120000): an in-flight lease; longer than one push may take. */
  leaseMs: number;
  /** `KAP_BRIDGE_RETRY_BASE_MS` (default 30000). */
  retryBaseMs: number;
  /** `KAP_BRIDGE_RETRY_MAX_ATTEMPTS` (default 12). */
  maxAttempts: number;
  /** `KAP_BRIDGE_SYNC_CRON` (default every minute). */
  syncCron: string;
}

/** Reads the delivery settings; throws {@link ConfigError} naming every bad variable. */
export function readDeliveryConfig(env: Env): DeliveryConfig {
  return deliveryConfigOf(readSettings(env, DELIVERY_SETTINGS));
}

/** {@link DeliveryConfig} of settings already read. */
export function deliveryConfigOf(s: Pick<Settings, (typeof DELIVERY_SETTINGS)[number]>): DeliveryConfig {
  return {
    leaseMs: s.KAP_BRIDGE_LEASE_MS,
    retryBaseMs: s.KAP_BRIDGE_RETRY_BASE_MS,
    maxAttempts: s.KAP_BRIDGE_RETRY_MAX_ATTEMPTS,
    syncCron: s.KAP_BRIDGE_SYNC_CRON,
    ...(s.KAP_BRIDGE_DESTINATIONS ? { destinationsFile: s.KAP_BRIDGE_DESTINATIONS } : {}),
  };
}
