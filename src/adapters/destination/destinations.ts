import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue, outcome } from '../../fhir/outcomes';
import { checkAddressLiteral } from './url-guard';
import {
  isDestinationId,
  type Destination,
  type DestinationAuth,
  type DestinationRegistry,
  type ReferencedResourcesPolicy,
  type SmartAlg,
  type Transport,
} from '../../app/ports/destination-port';
import { isJsonObject } from '../../fhir/json-object';

export type {
  Destination,
  DestinationAuth,
  DestinationRegistry,
  ReferencedResourcesPolicy,
  SmartAlg,
  Transport,
};

/**
 * The destinations file (DESIGN.md §8): one entry per referring organisation's FHIR server.
 * Destinations are registered configuration, never taken from incoming data (DESIGN.md §6), so
 * the parser is strict: unknown fields are refused, not dropped, and every error names the entry
 * and the field.
 */

export type ParseDestinationsResult =
  { ok: true; destinations: Destination[] } | { ok: false; outcome: OperationOutcome };

const ENV_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TOP_FIELDS = [
  'id',
  'baseUrl',
  'auth',
  'transport',
  'referencedResources',
  'allowInsecure',
  'allowPrivateNetwork',
  'pullReplies',
];
const AUTH_FIELDS: Record<DestinationAuth['type'], string[]> = {
  none: ['type'],
  bearer: ['type', 'tokenEnv'],
  'smart-backend': ['type', 'tokenUrl', 'clientId', 'privateKeyFile', 'alg', 'kid', 'scope'],
};

/** Collects issues for one entry; `where` prefixes every message with the entry's name. */
class EntryChecker {
  readonly issues: OperationOutcomeIssue[] = [];
  constructor(
    private readonly path: string,
    private readonly where: string,
  ) {}

  fail(field: string, text: string, code: OperationOutcomeIssue['code'] = 'value'): undefined {
    const expression = field ? `${this.path}.${field}` : this.path;
    const name = field ? `${this.where}, field "${field}"` : this.where;
    this.issues.push(issue({ code, text: `${name}: ${text}`, expression }));
  }

  unknownFields(obj: Record<string, unknown>, allowed: string[], prefix: string): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) {
        this.fail(`${prefix}${key}`, `unknown field (allowed: ${allowed.join(', ')})`, 'structure');
      }
    }
  }

  string(obj: Record<string, unknown>, field: string, prefix = ''): string | undefined {
    const v = obj[field];
    if (v === undefined) return this.fail(`${prefix}${field}`, 'is required', 'required');
    if (typeof v !== 'string' || v.trim() === '') {
      return this.fail(`${prefix}${field}`, 'must be a non-empty string');
    }
    return v;
  }

  oneOf<T extends string>(obj: Record<string, unknown>, field: string, values: T[], dflt: T): T {
    const v = obj[field];
    if (v === undefined) return dflt;
    if (typeof v === 'string' && (values as string[]).includes(v)) return v as T;
    this.fail(field, `must be one of ${values.map((x) => `"${x}"`).join(', ')}`);
    return dflt;
  }

  bool(obj: Record<string, unknown>, field: string): boolean {
    const v = obj[field];
    if (v === undefined) return false;
    if (typeof v === 'boolean') return v;
    this.fail(field, 'must be true or false');
    return false;
  }
}

/** Checks a configured URL: http(s), no credentials/fragment, https unless allowInsecure. */
function checkUrl(
  c: EntryChecker,
  field: string,
  raw: string,
  flags: { allowInsecure: boolean; allowPrivateNetwork: boolean },
): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return c.fail(field, `"${raw}" is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return c.fail(field, `scheme "${url.protocol}" is not supported (use https)`);
  }
  if (url.protocol === 'http:' && !flags.allowInsecure) {
    c.fail(field, 'must use https (set "allowInsecure": true only for local development)');
  }
  if (url.username || url.password) c.fail(field, 'must not carry credentials');
  if (url.hash) c.fail(field, 'must not have a fragment');
  if (!flags.allowPrivateNetwork) {
    const refused = checkAddressLiteral(url.hostname);
    if (refused) {
      c.fail(field, `${refused} (set "allowPrivateNetwork": true only for local development)`);
    }
  }
}

function parseAuth(
  c: EntryChecker,
  raw: unknown,
  flags: { allowInsecure: boolean; allowPrivateNetwork: boolean },
): DestinationAuth | undefined {
  if (raw === undefined) return c.fail('auth', 'is required', 'required');
  if (!isJsonObject(raw)) return c.fail('auth', 'must be an object');
  const type = raw.type;
  if (type !== 'none' && type !== 'bearer' && type !== 'smart-backend') {
    return c.fail('auth.type', 'must be one of "none", "bearer", "smart-backend"');
  }
  c.unknownFields(raw, AUTH_FIELDS[type], 'auth.');
  if (type === 'none') return { type };
  if (type === 'bearer') {
    const tokenEnv = c.string(raw, 'tokenEnv', 'auth.');
    if (tokenEnv && !ENV_PATTERN.test(tokenEnv)) {
      c.fail('auth.tokenEnv', 'must name an environment variable (letters, digits, _)');
    }
    return tokenEnv ? { type, tokenEnv } : undefined;
  }
  const s = (f: string): string | undefined => c.string(raw, f, 'auth.');
  const [tokenUrl, clientId, privateKeyFile, kid, scope] = [
    s('tokenUrl'),
    s('clientId'),
    s('privateKeyFile'),
    s('kid'),
    s('scope'),
  ];
  if (tokenUrl) checkUrl(c, 'auth.tokenUrl', tokenUrl, flags);
  const alg = raw.alg;
  if (alg !== 'RS384' && alg !== 'ES384') {
    c.fail('auth.alg', 'must be "RS384" or "ES384" (SMART Backend Services)');
    return undefined;
  }
  if (!tokenUrl || !clientId || !privateKeyFile || !kid || !scope) return undefined;
  return { type, tokenUrl, clientId, privateKeyFile, alg, kid, scope };
}

function parseEntry(raw: unknown, index: number): { dest?: Destination; issues: OperationOutcomeIssue[] } {
  const path = `destinations[${index}]`;
  const name = isJsonObject(raw) && typeof raw.id === 'string' ? `destination "${raw.id}"` : `${path}`;
  const c = new EntryChecker(path, name);
  if (!isJsonObject(raw)) {
    c.fail('', 'must be an object', 'structure');
    return { issues: c.issues };
  }
  c.unknownFields(raw, TOP_FIELDS, '');
  const id = c.string(raw, 'id');
  if (id && !isDestinationId(id)) c.fail('id', 'use letters, digits, ".", "_" or "-" (max 64)');
  const flags = {
    allowInsecure: c.bool(raw, 'allowInsecure'),
    allowPrivateNetwork: c.bool(raw, 'allowPrivateNetwork'),
  };
  const baseUrl = c.string(raw, 'baseUrl');
  if (baseUrl) checkUrl(c, 'baseUrl', baseUrl, flags);
  const auth = parseAuth(c, raw.auth, flags);
  const transport = c.oneOf<Transport>(raw, 'transport', ['auto', 'transaction', 'conditional'], 'auto');
  const referencedResources = c.oneOf<ReferencedResourcesPolicy>(
    raw,
    'referencedResources',
    ['create-if-missing', 'must-exist'],
    'create-if-missing',
  );
  const pullReplies = c.bool(raw, 'pullReplies');
  if (c.issues.length > 0 || !id || !baseUrl || !auth) return { issues: c.issues };
  const dest: Destination = {
    id,
    baseUrl: baseUrl.replace(/(?<!\/)\/+$/, ''),
    auth,
    transport,
    referencedResources,
    ...flags,
    ...(pullReplies ? { pullReplies } : {}),
  };
  return { dest, issues: [] };
}

/**
 * Parses the destinations file's JSON content (the caller reads the file). Returns every problem
 * at once, each naming the entry and the field.
 */
export function parseDestinations(raw: unknown): ParseDestinationsResult {
  if (!Array.isArray(raw)) {
    return {
      ok: false,
      outcome: outcome([
        issue({
          code: 'structure',
          text: 'the destinations file must be a JSON array of destinations',
          expression: 'destinations',
        }),
      ]),
    };
  }
  const issues: OperationOutcomeIssue[] = [];
  const destinations: Destination[] = [];
  const seen = new Set<string>();
  raw.forEach((entry, i) => {
    const r = parseEntry(entry, i);
    issues.push(...r.issues);
    if (!r.dest) return;
    if (seen.has(r.dest.id)) {
      issues.push(
        issue({
          code: 'business-rule',
          text: `destination "${r.dest.id}": id is used by an earlier entry`,
          expression: `destinations[${i}].id`,
        }),
      );
    }
    seen.add(r.dest.id);
    destinations.push(r.dest);
  });
  return issues.length > 0 ? { ok: false, outcome: outcome(issues) } : { ok: true, destinations };
}

/** Builds the registry over parsed destinations. */
export function createDestinationRegistry(destinations: readonly Destination[]): DestinationRegistry {
  const byId = new Map(destinations.map((d) => [d.id, d] as const));
  return { getDestination: (id) => byId.get(id), list: () => destinations };
}
