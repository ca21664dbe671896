import type { CodeSystem, CodeSystemConcept, ValueSetComposeIncludeFilter } from '@medplum/fhirtypes';

/**
 * ValueSet.compose filters (https://hl7.org/fhir/R4/valueset-definitions.html#ValueSet.compose.include.filter)
 * evaluated over a complete CodeSystem held here: `is-a`, `descendent-of`, `is-not-a` along the
 * concept hierarchy (nested concepts and `parent` properties,
 * https://hl7.org/fhir/R4/codesystem.html#hierarchy), and `=`, `in`, `not-in`, `exists` on
 * concept properties (or `concept` itself). Other operators (`regex`, `generalizes`) and unknown
 * properties are not evaluated: the caller then leaves the value set unexpanded.
 */
export function filterCodes(
  cs: CodeSystem,
  filters: ValueSetComposeIncludeFilter[],
): Set<string> | undefined {
  const index = indexOf(cs);
  let result: Set<string> | undefined;
  for (const f of filters) {
    const codes = applyFilter(index, f);
    if (!codes) return undefined;
    result = result ? new Set([...result].filter((c) => codes.has(c))) : codes;
  }
  return result;
}

interface ConceptIndex {
  concepts: Map<string, CodeSystemConcept>;
  children: Map<string, Set<string>>;
  /** Property codes the CodeSystem declares. */
  properties: Set<string>;
}

const indexes = new WeakMap<CodeSystem, ConceptIndex>();

function indexOf(cs: CodeSystem): ConceptIndex {
  let index = indexes.get(cs);
  if (index) return index;
  index = {
    concepts: new Map(),
    children: new Map(),
    properties: new Set((cs.property ?? []).map((p) => p.code).filter((c): c is string => !!c)),
  };
  const addChild = (parent: string, child: string): void => {
    const set = index?.children.get(parent) ?? new Set<string>();
    set.add(child);
    index?.children.set(parent, set);
  };
  const walk = (concepts: CodeSystemConcept[] | undefined, parent: string | undefined): void => {
    for (const c of concepts ?? []) {
      if (!c.code) continue;
      index?.concepts.set(c.code, c);
      if (parent) addChild(parent, c.code);
      for (const p of c.property ?? []) if (p.code === 'parent' && p.valueCode) addChild(p.valueCode, c.code);
      walk(c.concept, c.code);
    }
  };
  walk(cs.concept, undefined);
  indexes.set(cs, index);
  return index;
}

function descendants(index: ConceptIndex, code: string): Set<string> {
  const out = new Set<string>();
  const stack = [...(index.children.get(code) ?? [])];
  while (stack.length) {
    const c = stack.pop() as string;
    if (out.has(c)) continue;
    out.add(c);
    stack.push(...(index.children.get(c) ?? []));
  }
  return out;
}

function propertyValues(concept: CodeSystemConcept, property: string): string[] {
  return (concept.property ?? [])
    .filter((p) => p.code === property)
    .map((p) => {
      const v =
        p.valueCode ?? p.valueString ?? p.valueBoolean ?? p.valueInteger ?? p.valueDecimal ?? p.valueDateTime;
      return v === undefined ? undefined : String(v);
    })
    .filter((v): v is string => v !== undefined);
}

function applyFilter(index: ConceptIndex, f: ValueSetComposeIncludeFilter): Set<string> | undefined {
  const { property, op, value } = f;
  if (typeof property !== 'string' || typeof value !== 'string') return undefined;
  const all = [...index.concepts.keys()];
  const hierarchy = property === 'concept' || property === 'code';
  if (hierarchy && (op === 'is-a' || op === 'descendent-of' || op === 'is-not-a')) {
    if (!index.concepts.has(value)) return new Set();
    const below = descendants(index, value);
    if (op === 'descendent-of') return below;
    below.add(value);
    return op === 'is-a' ? below : new Set(all.filter((c) => !below.has(c)));
  }
  if (hierarchy && (op === '=' || op === 'in' || op === 'not-in')) {
    const listed = new Set(op === '=' ? [value] : value.split(',').map((v) => v.trim()));
    return new Set(all.filter((c) => (op === 'not-in' ? !listed.has(c) : listed.has(c))));
  }
  if (!index.properties.has(property)) return undefined;
  const matches = (c: string, test: (vals: string[]) => boolean): boolean =>
    test(propertyValues(index.concepts.get(c) as CodeSystemConcept, property));
  switch (op) {
    case '=':
      return new Set(all.filter((c) => matches(c, (vals) => vals.includes(value))));
    case 'in':
    case 'not-in': {
      const listed = value.split(',').map((v) => v.trim());
      const inList = (vals: string[]): boolean => vals.some((v) => listed.includes(v));
      return new Set(all.filter((c) => matches(c, (vals) => (op === 'in' ? inList(vals) : !inList(vals)))));
    }
    case 'exists':
      return new Set(all.filter((c) => matches(c, (vals) => vals.length > 0 === (value === 'true'))));
    default:
      return undefined;
  }
}
