import type { Filter, SearchRequest } from '@medplum/core';
import { globalSchema, parseSearchRequest, splitSearchOnComma } from '@medplum/core';
import { isR4ResourceType } from '../fhir/r4-resource-types';

/**
 * Reading a FHIR search query for the sandbox (R4 search.html). medplum's `parseSearchRequest`
 * turns every key into a filter, and its matcher fails a filter it does not know, so a misspelled
 * parameter silently matched nothing, and a reference parameter matched only the exact string
 * `Patient/123`. Here the query is read the way R4 asks:
 * - a reference parameter takes `[id]`, `[type]/[id]`, the absolute URL on this server, and the
 *   `:[type]` modifier (search.html#reference);
 * - a parameter the sandbox does not know is not used: ignored under `Prefer: handling=lenient`
 *   (the default) and reported, refused (400) under `handling=strict` (search.html#errors).
 */

/** Page size when a search names no `_count`, and the largest `_count` honoured. */
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

/** Search result parameters the sandbox applies (search.html#return); any other `_x` is not used. */
const RESULT_PARAMS = new Set(['_count', '_offset', '_sort', '_total', '_format', '_pretty']);

/** A query read for the sandbox: what is used (in order, for the self link) and what is not. */
export interface SearchQuery {
  request: SearchRequest;
  /** The parameters used, normalised (`patient=Patient/123`), without `_count`/`_offset`. */
  used: Array<[string, string]>;
  /** Chained parameters (`subject:Patient.identifier=…`), resolved by the caller (chained-search.ts). */
  chains: Chain[];
  /** Names of the parameters that were not used, as sent. */
  ignored: string[];
  /** The page: first result and page size (`_count`, clamped to {@link MAX_PAGE_SIZE}). */
  offset: number;
  count: number;
}

/**
 * One chained parameter, one level deep (R4 search.html#chaining): `code[:Type].inner=value`
 * matches resources whose reference `code` points at a `Type` (each of `targets`) matching
 * `inner=value`.
 */
export interface Chain {
  /** The key and value as sent (for the self link). */
  key: string;
  value: string;
  /** The reference parameter on the searched type. */
  code: string;
  /** The target types to search: the `:Type` given, or every target that defines `inner`. */
  targets: string[];
  /** The parameter (with any modifier) to search the targets by. */
  inner: string;
}

/** A query the sandbox refuses: a malformed value, or an unknown parameter under strict handling. */
export class SearchQueryError extends Error {
  constructor(
    message: string,
    readonly expression: string,
  ) {
    super(message);
  }
}

/**
 * Reads `pairs` (the query string, plus a form body for `POST [type]/_search`) for a search on
 * `resourceType`. `baseUrl` is the sandbox's own base: an absolute reference to it is local.
 * Throws {@link SearchQueryError} for what must be refused (400).
 */
export function readSearchQuery(
  resourceType: string,
  pairs: Iterable<[string, string]>,
  options: { baseUrl: string; strict: boolean },
): SearchQuery {
  const used: Array<[string, string]> = [];
  const chains: Chain[] = [];
  const ignored: string[] = [];
  let offset = 0;
  let count = DEFAULT_PAGE_SIZE;
  for (const [key, value] of pairs) {
    if (key === '_count') count = Math.min(nonNegativeInteger(key, value), MAX_PAGE_SIZE);
    else if (key === '_offset') offset = nonNegativeInteger(key, value);
    else if (key === '_summary' && value === 'count') count = 0;
    else if (key.includes('.')) {
      const chain = readChain(resourceType, key, value);
      if (chain) chains.push(chain);
      else ignored.push(key);
    } else {
      const read = readParameter(resourceType, key, value, options.baseUrl);
      if (read) used.push(read);
      else ignored.push(key);
    }
  }
  if (options.strict && ignored.length > 0) {
    throw new SearchQueryError(
      `Unknown or unsupported search parameter(s) ${ignored.join(', ')} (Prefer: handling=strict).`,
      ignored[0] ?? '',
    );
  }
  const query = new URLSearchParams(used).toString();
  let request: SearchRequest;
  try {
    request = parseSearchRequest(`${resourceType}?${query}`);
  } catch (err) {
    throw new SearchQueryError(err instanceof Error ? err.message : String(err), resourceType);
  }
  return { request: { ...request, offset, count }, used, chains, ignored, offset, count };
}

/** `[key, value]` normalised when the sandbox uses the parameter, or undefined when it does not. */
function readParameter(
  resourceType: string,
  key: string,
  value: string,
  baseUrl: string,
): [string, string] | undefined {
  const colon = key.indexOf(':');
  const code = colon < 0 ? key : key.slice(0, colon);
  const modifier = colon < 0 ? '' : key.slice(colon + 1);
  if (code === '_sort')
    return !modifier && sortsOnKnownParameters(resourceType, value) ? [key, value] : undefined;
  if (code.startsWith('_') && RESULT_PARAMS.has(code)) return modifier ? undefined : [key, value];
  // `_has` (reverse chaining) is not offered; a known parameter is an own property.
  if (!isKnownParameter(resourceType, code)) return undefined;
  const param = globalSchema.types[resourceType]?.searchParams?.[code];
  if (param?.type !== 'reference') return [key, value];
  if (modifier && !isR4ResourceType(modifier)) return modifier === 'missing' ? [key, value] : undefined;
  const targets = modifier ? [modifier] : (param.target ?? []);
  return [code, normaliseReferenceValue(value, targets, baseUrl)];
}

/** A one-level chain on a reference parameter, or undefined when the sandbox cannot use it. */
function readChain(resourceType: string, key: string, value: string): Chain | undefined {
  const dot = key.indexOf('.');
  const head = key.slice(0, dot);
  const inner = key.slice(dot + 1);
  const innerCode = inner.split(':')[0] ?? '';
  if (inner.includes('.') || !innerCode) return undefined; // deeper chains are not offered
  const [code = '', type, ...more] = head.split(':');
  const param = isKnownParameter(resourceType, code)
    ? globalSchema.types[resourceType]?.searchParams?.[code]
    : undefined;
  if (param?.type !== 'reference' || more.length > 0) return undefined;
  const allowed: readonly string[] = param.target ?? [];
  const candidates = type === undefined ? allowed : [type];
  const targets = candidates.filter(
    (t) => isR4ResourceType(t) && allowed.includes(t) && isKnownParameter(t, innerCode),
  );
  return targets.length > 0 ? { key, value, code, targets, inner } : undefined;
}

/** Whether the resource type defines search parameter `code` (R4 or the common `_id`, …). */
export function isKnownParameter(resourceType: string, code: string): boolean {
  const params = globalSchema.types[resourceType]?.searchParams;
  return params !== undefined && Object.hasOwn(params, code);
}

/**
 * A reference search value as the stored references read (`Type/id`): a bare id becomes one
 * value per target type (an OR, search.html#combining), this server's absolute URL becomes
 * relative (search.html#reference).
 */
export function normaliseReferenceValue(value: string, targets: readonly string[], baseUrl = ''): string {
  return splitSearchOnComma(value)
    .flatMap((v) => {
      const local = baseUrl && v.startsWith(`${baseUrl}/`) ? v.slice(baseUrl.length + 1) : v;
      if (local.includes('/') || local.includes(':') || targets.length === 0) return [local];
      return targets.map((t) => `${t}/${local}`);
    })
    .join(',');
}

/**
 * The filters of a request made by medplum's router for a conditional operation (If-None-Exist,
 * `PUT Type?…`, `DELETE Type?…`, transaction entries), with reference values normalised. A
 * parameter the sandbox does not know is refused: a conditional operation must never act on a
 * silent empty match (DESIGN.md §8).
 */
export function conditionalFilters(resourceType: string, filters: readonly Filter[]): Filter[] {
  return filters.map((filter) => {
    if (!isKnownParameter(resourceType, filter.code)) {
      throw new SearchQueryError(
        `Unknown search parameter "${filter.code}" for ${resourceType} in a conditional operation.`,
        filter.code,
      );
    }
    const param = globalSchema.types[resourceType]?.searchParams?.[filter.code];
    if (param?.type !== 'reference') return filter;
    return { ...filter, value: normaliseReferenceValue(filter.value, param.target ?? []) };
  });
}

/** `_sort=a,-b`: used only when every key is a parameter of the type (else it would sort by nothing). */
function sortsOnKnownParameters(resourceType: string, value: string): boolean {
  return value
    .split(',')
    .every((code) => isKnownParameter(resourceType, code.startsWith('-') ? code.slice(1) : code));
}

function nonNegativeInteger(key: string, value: string): number {
  if (!/^\d{1,9}$/.test(value)) {
    throw new SearchQueryError(`${key} must be a non-negative integer.`, key);
  }
  return Number(value);
}
