import { isValidTimeZone } from './consent';
import { DEFAULT_TIME_ZONE } from './consent';
import { DEFAULT_DATABASE_URL, parseDatabaseUrl } from './store/open-store';

/**
 * Configuration from environment variables (DESIGN.md §8), validated at start: every problem is
 * reported at once, with the variable's name, and nothing starts with a bad value (fail fast).
 * Only the composition root passes `process.env` in.
 */
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
}

/** Thrown by {@link readConfig}; `problems` lists every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads and validates the configuration; throws {@link ConfigError} listing every problem. */
export function readConfig(env: Env): Config {
  const problems: string[] = [];
  const databaseUrl = nonEmpty(env.DATABASE_URL) ?? DEFAULT_DATABASE_URL;
  try {
    parseDatabaseUrl(databaseUrl);
  } catch (err) {
    problems.push(`DATABASE_URL: ${(err as Error).message}`);
  }
  const timeZone = nonEmpty(env.KAP_BRIDGE_TIMEZONE) ?? DEFAULT_TIME_ZONE;
  if (!isValidTimeZone(timeZone)) {
    problems.push(`KAP_BRIDGE_TIMEZONE: "${timeZone}" is not an IANA time zone (e.g. America/Los_Angeles)`);
  }
  const defaultDestinationId = nonEmpty(env.KAP_BRIDGE_DEFAULT_DESTINATION) ?? 'sandbox';
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(defaultDestinationId)) {
    problems.push('KAP_BRIDGE_DEFAULT_DESTINATION: must be a destination id (letters, digits, . _ -)');
  }
  const maxSectionLength = positiveInt(env, 'KAP_BRIDGE_MAX_SECTION_LENGTH', problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return { databaseUrl, timeZone, defaultDestinationId, ...(maxSectionLength ? { maxSectionLength } : {}) };
}

function nonEmpty(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t ? t : undefined;
}

function positiveInt(env: Env, name: string, problems: string[]): number | undefined {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) {
    problems.push(`${name}: "${raw}" is not a positive whole number`);
    return undefined;
  }
  return Number(raw);
}
