import type { FhirPathAtom, Filter, SearchRequest } from '@medplum/core';
import {
  convertToSearchableReferences,
  convertToSearchableTokens,
  evalFhirPathTyped,
  globalSchema,
  Operator,
  parseFhirPath,
  splitSearchOnComma,
  toTypedValue,
} from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';

/**
 * Search parameters the sandbox indexes. Delivery resolves every conditional create / update by
 * `identifier` (DESIGN.md §6), and clinicians' EHRs list a patient's items by `patient`/`subject`;
 * everything else falls back to a scan.
 */
const INDEXED_PARAMS = ['identifier', 'patient', 'subject'] as const;

/** Key of an identifier with any system (FHIR search `identifier=value`). */
const ANY_SYSTEM = '*';

type ParamIndex = Map<string, Set<string>>;

/** Candidate ids, and the filter they answer exactly (the caller need not re-check it). */
export interface Candidates {
  ids: Set<string>;
  resolved: Filter;
}

/**
 * An in-memory inverted index from search-parameter values to resource ids, per resource type.
 * It only narrows the candidates: the repository still checks each candidate with medplum's
 * `matchesSearchRequest`, so the index may over-approximate but must never miss a match. Keys are
 * lower-cased because medplum matches tokens case-insensitively.
 */
export class SearchIndex {
  /** resourceType → param code → key → ids */
  private readonly byType = new Map<string, Map<string, ParamIndex>>();
  /** Parsed FHIRPath per expression: medplum re-parses a string expression on every call. */
  private readonly parsed = new Map<string, FhirPathAtom>();

  /** Adds the resource's values under its id. */
  add(resource: Resource & { id: string }): void {
    this.forEachKey(resource, (param, key) => {
      let keys = param.get(key);
      if (!keys) {
        keys = new Set();
        param.set(key, keys);
      }
      keys.add(resource.id);
    });
  }

  /** Removes the resource's values (call with the version that was indexed). */
  remove(resource: Resource & { id: string }): void {
    this.forEachKey(resource, (param, key) => {
      const ids = param.get(key);
      ids?.delete(resource.id);
      if (ids?.size === 0) param.delete(key);
    });
  }

  /**
   * The ids matching one filter of the request, or `undefined` when no filter can use the index
   * (the caller then scans). With several indexable filters the smallest candidate set wins. The
   * keys follow medplum's matching rules (tokens case-insensitive, references by exact string), so
   * the chosen filter is answered exactly; the caller checks the other filters.
   */
  candidates(request: SearchRequest): Candidates | undefined {
    let best: Candidates | undefined;
    for (const filter of request.filters ?? []) {
      const ids = this.lookup(request.resourceType, filter);
      if (ids && (!best || ids.size < best.ids.size)) best = { ids, resolved: filter };
    }
    return best;
  }

  private lookup(resourceType: string, filter: Filter): Set<string> | undefined {
    if (filter.operator !== Operator.EQUALS) return undefined;
    if (filter.code === '_id') return new Set(splitSearchOnComma(filter.value));
    if (!isIndexed(filter.code) || !globalSchema.types[resourceType]?.searchParams?.[filter.code]) {
      return undefined;
    }
    const param = this.byType.get(resourceType)?.get(filter.code);
    const out = new Set<string>();
    for (const value of splitSearchOnComma(filter.value)) {
      const key = filter.code === 'identifier' ? tokenQueryKey(value) : value;
      if (key === undefined) return undefined;
      for (const id of param?.get(key) ?? []) out.add(id);
    }
    return out;
  }

  private forEachKey(resource: Resource, visit: (param: ParamIndex, key: string) => void): void {
    const params = globalSchema.types[resource.resourceType]?.searchParams;
    if (!params) return;
    for (const code of INDEXED_PARAMS) {
      const expression = params[code]?.expression;
      if (!expression) continue;
      const typed = evalFhirPathTyped(this.atom(expression), [toTypedValue(resource)]);
      const keys = code === 'identifier' ? tokenKeys(typed) : convertToSearchableReferences(typed);
      if (keys.length === 0) continue;
      const param = this.paramIndex(resource.resourceType, code);
      for (const key of keys) visit(param, key);
    }
  }

  private atom(expression: string): FhirPathAtom {
    let atom = this.parsed.get(expression);
    if (!atom) {
      atom = parseFhirPath(expression);
      this.parsed.set(expression, atom);
    }
    return atom;
  }

  private paramIndex(resourceType: string, code: string): ParamIndex {
    let params = this.byType.get(resourceType);
    if (!params) {
      params = new Map();
      this.byType.set(resourceType, params);
    }
    let param = params.get(code);
    if (!param) {
      param = new Map();
      params.set(code, param);
    }
    return param;
  }
}

function isIndexed(code: string): boolean {
  return (INDEXED_PARAMS as readonly string[]).includes(code);
}

/** Every key an Identifier answers to: `system|value` (or `|value` without system) and `*|value`. */
function tokenKeys(typed: ReturnType<typeof evalFhirPathTyped>): string[] {
  const keys: string[] = [];
  for (const token of convertToSearchableTokens(typed)) {
    if (!token.value) continue;
    const value = token.value.toLowerCase();
    keys.push(`${(token.system ?? '').toLowerCase()}|${value}`, `${ANY_SYSTEM}|${value}`);
  }
  return keys;
}

/**
 * The key for one query value (FHIR R4 search §3.1.1.4.10 token): `system|value`, `|value` (no
 * system), `value` (any system). `system|` (any value in a system) is not indexed → undefined.
 */
function tokenQueryKey(query: string): string | undefined {
  const bar = query.indexOf('|');
  if (bar < 0) return `${ANY_SYSTEM}|${query.toLowerCase()}`;
  const value = query.slice(bar + 1).toLowerCase();
  if (!value) return undefined;
  return `${query.slice(0, bar).toLowerCase()}|${value}`;
}
