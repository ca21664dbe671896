import { isIP } from 'node:net';
import { DEFAULT_MAX_BATCH_ENTRIES } from '../app/ingest-types';
import { isDestinationId } from '../app/ports/destination-port';
import { DEFAULT_TIME_ZONE, isValidTimeZone } from '../consent';
import { isValidNpi } from '../domain/npi';
import { isFhirId } from '../fhir/id-pattern';
import { SECTION_LENGTH_CAP } from '../domain/update-rules';
import { DEFAULT_DATABASE_URL, parseDatabaseUrl } from '../adapters/store/open-store';
import { isValidCron } from '../entry/schedule/node-cron-engine';
import { DEFAULT_SYNC_CRON } from '../entry/schedule/sync-scheduler';

/**
 * Every environment variable kap-bridge reads (DESIGN.md §8, §9), one row each: its default, its
 * parser and what it is for. `readSettings` (settings.ts) is the only reader; README's
 * configuration table lists exactly these names (test/cli/settings-readme.test.ts keeps the two
 * in step).
 */

/** What a parser makes of a set value: the value, or the problem (the variable's name is added by the reader). */
export type Parsed<T> = { value: T } | { problem: string };

/** One environment variable. */
export interface Setting<T> {
  /** The value when the variable is unset or blank. */
  default: T;
  /** Parses the set value (already trimmed, never empty). */
  parse(raw: string): Parsed<T>;
  /** One line for people: what the variable is for. */
  doc: string;
}

const ok = <T>(value: T): Parsed<T> => ({ value });
const problem = (text: string): { problem: string } => ({ problem: text });

/**
 * The one integer parser: a whole number in `[min, max]`. The reason names the bound that was
 * crossed (a schema's cap, a ceiling that keeps one request from exhausting memory).
 */
function wholeNumber(bounds: {
  min: number;
  max?: number;
  maxReason?: string;
}): (raw: string) => Parsed<number> {
  return (raw) => {
    if (!/^\d+$/.test(raw) || Number(raw) < bounds.min) {
      return problem(
        bounds.min === 1
          ? `"${raw}" is not a positive whole number`
          : `"${raw}" is not a whole number ≥ ${bounds.min}`,
      );
    }
    const n = Number(raw);
    if (bounds.max !== undefined && n > bounds.max) {
      return problem(`${n} is more than ${bounds.max}${bounds.maxReason ? `, ${bounds.maxReason}` : ''}`);
    }
    return ok(n);
  };
}

const text = (raw: string): Parsed<string> => ok(raw);

/** A DNS name per RFC 1123 (labels of letters, digits and inner hyphens). */
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** FHIR id rule (http://hl7.org/fhir/R4/datatypes.html#id). */

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1024, mb: 1024 * 1024 };

function byteSize(raw: string): Parsed<number> {
  const m = /^(\d+)\s*(b|kb|mb)?$/i.exec(raw);
  const bytes = m ? Number(m[1]) * (BYTE_UNITS[(m[2] ?? '').toLowerCase()] ?? 1) : 0;
  // Below 1 KB not even a small referral fits; above 50 MB one request could exhaust memory.
  if (!m || bytes < 1024 || bytes > 50 * 1024 * 1024) {
    return problem(`"${raw}" must be a size between 1kb and 50mb (e.g. 1048576, 512kb, 2mb)`);
  }
  return ok(bytes);
}

/** Most Bundle entries accepted at all: far above any referral batch, low enough to stay responsive. */
const MAX_BATCH_CAP = 10_000;

/** The schema. Row order is the order in which problems are reported. */
export const SETTINGS = {
  DATABASE_URL: {
    default: DEFAULT_DATABASE_URL,
    doc: '`sqlite:PATH` or `postgres://…`',
    parse: (raw: string): Parsed<string> => {
      try {
        parseDatabaseUrl(raw);
        return ok(raw);
      } catch (err) {
        return problem((err as Error).message);
      }
    },
  },
  KAP_BRIDGE_TIMEZONE: {
    default: DEFAULT_TIME_ZONE,
    doc: "the practice's IANA zone: date-only consent periods, the integration window",
    parse: (raw: string): Parsed<string> =>
      isValidTimeZone(raw)
        ? ok(raw)
        : problem(`"${raw}" is not an IANA time zone (e.g. America/Los_Angeles)`),
  },
  KAP_BRIDGE_DEFAULT_DESTINATION: {
    default: 'sandbox',
    doc: 'destination id for referrals that name none (default: the built-in sandbox)',
    parse: (raw: string): Parsed<string> =>
      isDestinationId(raw) ? ok(raw) : problem('must be a destination id (letters, digits, . _ -)'),
  },
  KAP_BRIDGE_MAX_SECTION_LENGTH: {
    default: undefined as number | undefined,
    doc: "longest update section in characters (default: the domain's, 1,200)",
    parse: wholeNumber({ min: 1, max: SECTION_LENGTH_CAP, maxReason: "the schema's cap on a section" }),
  },
  KAP_BRIDGE_MAX_BATCH_ENTRIES: {
    default: DEFAULT_MAX_BATCH_ENTRIES,
    doc: 'most entries in one inbound transaction, batch or message Bundle (413 above)',
    parse: wholeNumber({ min: 1, max: MAX_BATCH_CAP }),
  },
  KAP_BRIDGE_PRACTICE_ID: {
    default: undefined as string | undefined,
    doc: "FHIR id of the practice's Organization (placeholder by default)",
    parse: (raw: string): Parsed<string | undefined> =>
      isFhirId(raw) ? ok(raw) : problem(`"${raw}" is not a FHIR id (1–64 letters, digits, - or .)`),
  },
  KAP_BRIDGE_PRACTICE_NAME: {
    default: undefined as string | undefined,
    doc: "the practice's name on its Organization (placeholder by default)",
    // Control characters would end up in every Organization.name and reference display.
    parse: (raw: string): Parsed<string | undefined> =>
      raw.length > 200 || CONTROL_CHARACTER.test(raw)
        ? problem('must be at most 200 characters, without control characters')
        : ok(raw),
  },
  KAP_BRIDGE_PRACTICE_NPI: {
    default: undefined as string | undefined,
    doc: "the practice's organisational NPI",
    parse: (raw: string): Parsed<string | undefined> =>
      isValidNpi(raw) ? ok(raw) : problem(`"${raw}" is not an NPI (10 digits passing the check digit)`),
  },
  HOST: {
    // Exposure beyond this machine is a decision, not a default.
    default: '127.0.0.1',
    doc: 'interface the HTTP API binds',
    parse: (raw: string): Parsed<string> =>
      isIP(raw) !== 0 || HOSTNAME.test(raw)
        ? ok(raw)
        : problem(`"${raw}" is neither an IP address nor a host name (e.g. 127.0.0.1, 0.0.0.0, ::1)`),
  },
  PORT: {
    default: 8080,
    doc: 'HTTP port (0 picks a free one)',
    parse: (raw: string): Parsed<number> =>
      /^\d{1,5}$/.test(raw) && Number(raw) <= 65535
        ? ok(Number(raw))
        : problem(`"${raw}" is not a TCP port (0–65535; 0 picks a free one)`),
  },
  KAP_BRIDGE_API_KEYS: {
    default: undefined as string | undefined,
    doc: 'the API keys file; unset: a local key is generated under KAP_BRIDGE_DATA_DIR',
    parse: text as (raw: string) => Parsed<string | undefined>,
  },
  KAP_BRIDGE_DATA_DIR: {
    default: './data',
    doc: 'where the generated local key file is kept (0700)',
    parse: text,
  },
  LOG_LEVEL: {
    default: 'info' as LogLevel,
    doc: 'a pino level; logs carry ids and outcomes, never PHI',
    parse: (raw: string): Parsed<LogLevel> => {
      const level = raw.toLowerCase();
      return LOG_LEVELS.includes(level as LogLevel)
        ? ok(level as LogLevel)
        : problem(`"${level}" is not one of ${LOG_LEVELS.join(', ')}`);
    },
  },
  KAP_BRIDGE_BODY_LIMIT: {
    default: 1024 * 1024,
    doc: 'largest request body in bytes (1048576, 512kb, 2mb) → 413',
    parse: byteSize,
  },
  KAP_BRIDGE_RATE_LIMIT: {
    default: 600,
    doc: 'requests per API key per minute → 429',
    parse: wholeNumber({ min: 1 }),
  },
  KAP_BRIDGE_ANON_RATE_LIMIT: {
    default: 60,
    doc: 'requests without a valid key per client address per minute → 429',
    parse: wholeNumber({ min: 1 }),
  },
  KAP_BRIDGE_PROBE_RATE_LIMIT: {
    default: 600,
    doc: '/healthz and /readyz requests per client address per minute → 429',
    parse: wholeNumber({ min: 1 }),
  },
  KAP_BRIDGE_DESTINATIONS: {
    default: undefined as string | undefined,
    doc: 'the destinations file; unset: serve and demo deliver to the built-in sandbox',
    parse: text as (raw: string) => Parsed<string | undefined>,
  },
  KAP_BRIDGE_LEASE_MS: {
    default: 120_000,
    // Longer than one push may take: the HTTP timeout is min(30 s, lease / 3).
    doc: 'how long an in-flight lease lasts',
    parse: wholeNumber({ min: 5_000 }),
  },
  KAP_BRIDGE_RETRY_BASE_MS: {
    default: 30_000,
    doc: 'backoff base (full-jitter exponential)',
    parse: wholeNumber({ min: 1 }),
  },
  KAP_BRIDGE_RETRY_MAX_ATTEMPTS: {
    default: 12,
    doc: 'attempts before an item is dead',
    parse: wholeNumber({ min: 1 }),
  },
  KAP_BRIDGE_SYNC_CRON: {
    default: DEFAULT_SYNC_CRON,
    doc: 'schedule of the safety-net sync',
    parse: (raw: string): Parsed<string> =>
      isValidCron(raw) ? ok(raw) : problem(`"${raw}" is not a cron expression (e.g. "* * * * *")`),
  },
} satisfies Record<string, Setting<unknown>>;

/** The name of an environment variable in the schema. */
export type SettingName = keyof typeof SETTINGS;

/** Every setting, parsed: the value of each variable (or its default). */
export type Settings = { [K in SettingName]: (typeof SETTINGS)[K]['default'] };

/** Every variable name, in schema order. */
export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];
