import { isIP } from 'node:net';
import { isValidTimeZone } from '../consent';
import { DEFAULT_TIME_ZONE } from '../consent';
import { DEFAULT_MAX_BATCH_ENTRIES } from '../app/ingest-types';
import { isValidNpi } from '../domain/npi';
import { SECTION_LENGTH_CAP } from '../domain/update-rules';
import { mappingOptions, practiceInfo, type MappingOptions } from '../mapping';
import { DEFAULT_DATABASE_URL, parseDatabaseUrl } from '../adapters/store/open-store';

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

/** Thrown by {@link readConfig}; `problems` lists every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The process environment. The one place outside the composition root's defaults that reads
 * `process.env` (DESIGN.md §9): entry points pass it to the readers of this file rather than
 * reading a variable themselves.
 */
export function processEnvironment(): Env {
  return process.env;
}

/** `KAP_BRIDGE_TIMEZONE` as set (unvalidated: the consent command reports a bad zone itself). */
export function configuredTimeZone(env: Env = processEnvironment()): string | undefined {
  return env.KAP_BRIDGE_TIMEZONE;
}

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
  const maxSectionLength = sectionLength(env, problems);
  const maxBatchEntries = batchCap(env, problems);
  const mapping = readMapping(env, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    databaseUrl,
    timeZone,
    defaultDestinationId,
    mapping,
    maxBatchEntries,
    ...(maxSectionLength ? { maxSectionLength } : {}),
  };
}

/** Most Bundle entries accepted at all: far above any referral batch, low enough to stay responsive. */
const MAX_BATCH_CAP = 10_000;

function batchCap(env: Env, problems: string[]): number {
  const cap = positiveInt(env, 'KAP_BRIDGE_MAX_BATCH_ENTRIES', problems) ?? DEFAULT_MAX_BATCH_ENTRIES;
  if (cap <= MAX_BATCH_CAP) return cap;
  problems.push(`KAP_BRIDGE_MAX_BATCH_ENTRIES: "${cap}" is above ${MAX_BATCH_CAP}`);
  return DEFAULT_MAX_BATCH_ENTRIES;
}

/**
 * What `map` needs without opening a store: the section bound (the same as ingest's, so `map`
 * never accepts an update that ingest refuses) and the practice (so `map` prints the
 * Organization ingest would store). Throws {@link ConfigError} listing every problem.
 */
export function readMappingConfig(env: Env): { maxSectionLength?: number; mapping: MappingOptions } {
  const problems: string[] = [];
  const max = sectionLength(env, problems);
  const mapping = readMapping(env, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return { mapping, ...(max ? { maxSectionLength: max } : {}) };
}

/** FHIR id rule (http://hl7.org/fhir/R4/datatypes.html#id). */
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

function readMapping(env: Env, problems: string[]): MappingOptions {
  const id = nonEmpty(env.KAP_BRIDGE_PRACTICE_ID);
  if (id !== undefined && !FHIR_ID.test(id)) {
    problems.push(`KAP_BRIDGE_PRACTICE_ID: "${id}" is not a FHIR id (1–64 letters, digits, - or .)`);
  }
  const name = nonEmpty(env.KAP_BRIDGE_PRACTICE_NAME);
  // Control characters would end up in every Organization.name and reference display.
  // eslint-disable-next-line no-control-regex
  if (name !== undefined && (name.length > 200 || /[\u0000-\u001f\u007f]/.test(name))) {
    problems.push('KAP_BRIDGE_PRACTICE_NAME: must be at most 200 characters, without control characters');
  }
  const npi = nonEmpty(env.KAP_BRIDGE_PRACTICE_NPI);
  if (npi !== undefined && !isValidNpi(npi)) {
    problems.push(`KAP_BRIDGE_PRACTICE_NPI: "${npi}" is not an NPI (10 digits passing the check digit)`);
  }
  return mappingOptions({ practice: practiceInfo({ id, name, npi }) });
}

function nonEmpty(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t ? t : undefined;
}

/** `KAP_BRIDGE_MAX_SECTION_LENGTH`: a positive whole number no larger than the schema's cap. */
function sectionLength(env: Env, problems: string[]): number | undefined {
  const name = 'KAP_BRIDGE_MAX_SECTION_LENGTH';
  const max = positiveInt(env, name, problems);
  if (max === undefined || max <= SECTION_LENGTH_CAP) return max;
  problems.push(`${name}: ${max} is more than ${SECTION_LENGTH_CAP}, the schema's cap on a section`);
  return undefined;
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

/**
 * Settings only `kap-bridge serve` needs (DESIGN.md §8), read apart from {@link Config} so a bad
 * `PORT` does not stop `ingest` or `sync`. Delivery settings (destinations file, sync cron, lease,
 * retries) are read by `readDeliveryConfig` in `delivery-runtime.ts`.
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

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A DNS name per RFC 1123 (labels of letters, digits and inner hyphens). */
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Reads and validates the `serve` settings; throws {@link ConfigError} listing every problem. */
export function readServiceConfig(env: Env): ServiceConfig {
  const problems: string[] = [];
  const host = nonEmpty(env.HOST) ?? '127.0.0.1';
  if (isIP(host) === 0 && !HOSTNAME.test(host)) {
    problems.push(`HOST: "${host}" is neither an IP address nor a host name (e.g. 127.0.0.1, 0.0.0.0, ::1)`);
  }
  const rawPort = nonEmpty(env.PORT);
  let port = 8080;
  if (rawPort !== undefined) {
    if (/^\d{1,5}$/.test(rawPort) && Number(rawPort) <= 65535) port = Number(rawPort);
    else problems.push(`PORT: "${rawPort}" is not a TCP port (0–65535; 0 picks a free one)`);
  }
  const logLevel = (nonEmpty(env.LOG_LEVEL) ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    problems.push(`LOG_LEVEL: "${logLevel}" is not one of ${LOG_LEVELS.join(', ')}`);
  }
  const bodyLimitBytes = byteSize(env, 'KAP_BRIDGE_BODY_LIMIT', 1024 * 1024, problems);
  const rateLimitPerMinute = positiveInt(env, 'KAP_BRIDGE_RATE_LIMIT', problems) ?? 600;
  const anonymousRateLimitPerMinute = positiveInt(env, 'KAP_BRIDGE_ANON_RATE_LIMIT', problems) ?? 60;
  const probeRateLimitPerMinute = positiveInt(env, 'KAP_BRIDGE_PROBE_RATE_LIMIT', problems) ?? 600;
  const apiKeysFile = nonEmpty(env.KAP_BRIDGE_API_KEYS);
  const dataDir = nonEmpty(env.KAP_BRIDGE_DATA_DIR) ?? './data';
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    host,
    port,
    dataDir,
    logLevel: logLevel as LogLevel,
    bodyLimitBytes,
    rateLimitPerMinute,
    anonymousRateLimitPerMinute,
    probeRateLimitPerMinute,
    ...(apiKeysFile ? { apiKeysFile } : {}),
  };
}

const UNITS: Record<string, number> = { '': 1, b: 1, kb: 1024, mb: 1024 * 1024 };

function byteSize(env: Env, name: string, dflt: number, problems: string[]): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return dflt;
  const m = /^(\d+)\s*(b|kb|mb)?$/i.exec(raw);
  const bytes = m ? Number(m[1]) * (UNITS[(m[2] ?? '').toLowerCase()] ?? 1) : 0;
  // Below 1 KB not even a small referral fits; above 50 MB one request could exhaust memory.
  if (!m || bytes < 1024 || bytes > 50 * 1024 * 1024) {
    problems.push(`${name}: "${raw}" must be a size between 1kb and 50mb (e.g. 1048576, 512kb, 2mb)`);
    return dflt;
  }
  return bytes;
}
