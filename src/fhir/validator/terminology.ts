import type { CodeSystem, CodeSystemConcept, ValueSet, ValueSetComposeInclude } from '@medplum/fhirtypes';
import { filterCodes } from './value-set-filters';

/** The codes of an expanded value set: `system|code` pairs, and the bare codes. */
export interface Expansion {
  pairs: Set<string>;
  codes: Set<string>;
}

/** What a code system known here says of a code: in it, not in it, or it cannot tell. */
export type CodeLookup = 'found' | 'unknown' | 'unchecked';

/** Expands value sets that enumerate codes or whole code systems known here. */
export interface Terminology {
  /** The expansion, or `undefined` when the value set is unknown or cannot be expanded here. */
  expand(valueSetUrl: string): Expansion | undefined;
  /** True when a ValueSet with this canonical (version ignored) is loaded, expandable or not. */
  hasValueSet(valueSetUrl: string): boolean;
  /** The loaded CodeSystem with this canonical (version ignored). */
  codeSystem(system: string): CodeSystem | undefined;
  /**
   * Looks a code up in a loaded CodeSystem whose content is `complete` (the only content that
   * lets an absent code be called unknown, https://hl7.org/fhir/R4/codesystem-definitions.html#CodeSystem.content),
   * case-insensitively when the CodeSystem says it is not case sensitive.
   */
  lookup(system: string, code: string): CodeLookup;
}

/** Strips a `|version` suffix from a canonical (https://hl7.org/fhir/R4/references.html#canonical). */
export function stripVersion(canonical: string): string {
  const bar = canonical.indexOf('|');
  return bar < 0 ? canonical : canonical.slice(0, bar);
}

function flattenConcepts(concepts: CodeSystemConcept[] | undefined, into: Set<string>): void {
  for (const c of concepts ?? []) {
    if (c.code) into.add(c.code);
    flattenConcepts(c.concept, into);
  }
}

/** Value sets and code systems found by URL below the given lists (the R4 base, read lazily). */
export interface TerminologyBase {
  valueSet(url: string): ValueSet | undefined;
  codeSystem(url: string): CodeSystem | undefined;
}

/**
 * Builds a terminology over the given value sets and code systems (later ones win; `base` is
 * looked up when none of them has the URL). Expansion
 * follows `compose` (https://hl7.org/fhir/R4/valueset.html#compose): included concepts, whole code
 * systems (only when the CodeSystem is `complete`), filters on such code systems
 * (value-set-filters.ts), imported value sets and concept excludes. Value sets over code systems
 * not held here (SNOMED CT, LOINC, …) need a terminology server, so they are not expanded.
 */
export function createTerminology(
  valueSets: ValueSet[],
  codeSystems: CodeSystem[],
  base?: TerminologyBase,
): Terminology {
  const vsByUrl = new Map<string, ValueSet>();
  for (const vs of valueSets) if (vs.url) vsByUrl.set(vs.url, vs);
  const csByUrl = new Map<string, CodeSystem>();
  for (const cs of codeSystems) if (cs.url) csByUrl.set(cs.url, cs);
  const csCodes = new Map<string, Set<string> | undefined>();
  const csLowerCodes = new Map<string, Set<string>>();
  const cache = new Map<string, Expansion | undefined>();
  const inProgress = new Set<string>();

  // The given lists first, then the R4 base (looked up, not listed: issue 12).
  const codeSystemOf = (url: string): CodeSystem | undefined => csByUrl.get(url) ?? base?.codeSystem(url);
  const valueSetOf = (url: string): ValueSet | undefined => vsByUrl.get(url) ?? base?.valueSet(url);

  function systemCodes(system: string): Set<string> | undefined {
    if (csCodes.has(system)) return csCodes.get(system);
    const cs = codeSystemOf(system);
    let codes: Set<string> | undefined;
    if (cs && cs.content === 'complete') {
      codes = new Set();
      flattenConcepts(cs.concept, codes);
    }
    csCodes.set(system, codes);
    return codes;
  }

  function lookup(system: string, code: string): CodeLookup {
    const key = stripVersion(system);
    const codes = systemCodes(key);
    if (!codes) return 'unchecked';
    if (codes.has(code)) return 'found';
    if (codeSystemOf(key)?.caseSensitive !== false) return 'unknown';
    let lower = csLowerCodes.get(key);
    if (!lower) csLowerCodes.set(key, (lower = new Set([...codes].map((c) => c.toLowerCase()))));
    return lower.has(code.toLowerCase()) ? 'found' : 'unknown';
  }

  function addInclude(inc: ValueSetComposeInclude, out: Expansion): boolean {
    if (inc.filter?.length) return addFiltered(inc, out);
    for (const imported of inc.valueSet ?? []) {
      const sub = expand(imported);
      if (!sub) return false;
      // With a system as well, the include is the intersection; we keep it simple and refuse.
      if (inc.system) return false;
      sub.pairs.forEach((p) => out.pairs.add(p));
      sub.codes.forEach((c) => out.codes.add(c));
    }
    if (!inc.system) return true;
    const codes = inc.concept?.length
      ? inc.concept.map((c) => c.code).filter((c): c is string => !!c)
      : systemCodes(inc.system);
    if (!codes) return false;
    for (const code of codes) {
      out.pairs.add(`${inc.system}|${code}`);
      out.codes.add(code);
    }
    return true;
  }

  /** An include by filters, over a complete code system held here (value-set-filters.ts). */
  function addFiltered(inc: ValueSetComposeInclude, out: Expansion): boolean {
    const system = inc.system;
    if (!system || inc.concept?.length || inc.valueSet?.length || !systemCodes(system)) return false;
    const cs = codeSystemOf(system);
    const codes = cs && inc.filter ? filterCodes(cs, inc.filter) : undefined;
    if (!codes) return false;
    for (const code of codes) {
      out.pairs.add(`${system}|${code}`);
      out.codes.add(code);
    }
    return true;
  }

  function compute(vs: ValueSet): Expansion | undefined {
    const out: Expansion = { pairs: new Set(), codes: new Set() };
    const compose = vs.compose;
    if (!compose?.include?.length) return undefined;
    for (const inc of compose.include) if (!addInclude(inc, out)) return undefined;
    for (const exc of compose.exclude ?? []) {
      if (!exc.system || !exc.concept?.length || exc.filter?.length || exc.valueSet?.length) {
        return undefined;
      }
      for (const c of exc.concept) out.pairs.delete(`${exc.system}|${c.code}`);
    }
    out.codes = new Set([...out.pairs].map((p) => p.slice(p.lastIndexOf('|') + 1)));
    return out;
  }

  function expand(url: string): Expansion | undefined {
    const key = stripVersion(url);
    const known = cache.get(key);
    if (known !== undefined || cache.has(key)) return known;
    const vs = valueSetOf(key);
    if (!vs || inProgress.has(key)) return undefined;
    inProgress.add(key);
    const result = compute(vs);
    inProgress.delete(key);
    cache.set(key, result);
    return result;
  }

  return {
    expand,
    hasValueSet: (url) => valueSetOf(stripVersion(url)) !== undefined,
    codeSystem: (system) => codeSystemOf(stripVersion(system)),
    lookup,
  };
}
