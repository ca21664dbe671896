import { capitalize, isPrimitiveType, tryGetDataType } from '@medplum/core';
import type { InternalSchemaElement, InternalTypeSchema } from '@medplum/core';

/** One value met while walking a resource, with the element definition that governs it. */
export interface Visit {
  /** The JSON value (for arrays: one item). */
  value: unknown;
  /** FHIR type code of this value, e.g. `code`, `CodeableConcept`, `Reference`. */
  type: string;
  element: InternalSchemaElement;
  /** FHIRPath to the value, e.g. `Patient.name[0].given[1]`. */
  path: string;
  /** The object or array holding the value, and its key there (for number literals). */
  parent: object;
  key: string | number;
  /** Canonical of the profile whose element definition applies, when it is not the base. */
  profile?: string;
}

/** Callbacks of a walk. */
export interface Visitor {
  primitive(visit: Visit): void;
  complex(visit: Visit): void;
  resource(resource: Record<string, unknown>, path: string): void;
  /** The profile an Extension is defined by (from its url), so its contents are walked with it. */
  extensionProfile?(url: string): { url: string; schema: InternalTypeSchema } | undefined;
}

const ELEMENT_TYPE_CODE = /^http:\/\/hl7\.org\/fhirpath\/System\./;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Finds the element for a JSON property, resolving choice types (`valueQuantity` → `value[x]`). */
type Found = { element: InternalSchemaElement; type: string } | undefined;
const elementCache = new WeakMap<InternalTypeSchema, Map<string, Found>>();

export function findElement(schema: InternalTypeSchema, key: string): Found {
  let cache = elementCache.get(schema);
  if (!cache) elementCache.set(schema, (cache = new Map()));
  if (cache.has(key)) return cache.get(key);
  const found = lookupElement(schema, key);
  cache.set(key, found);
  return found;
}

function lookupElement(schema: InternalTypeSchema, key: string): Found {
  const direct = schema.elements[key];
  if (direct) return { element: direct, type: direct.type[0]?.code ?? 'Element' };
  for (const [name, element] of Object.entries(schema.elements)) {
    if (!name.endsWith('[x]')) continue;
    const stem = name.slice(0, -3);
    if (!key.startsWith(stem)) continue;
    const suffix = key.slice(stem.length);
    const t = element.type.find((ty) => capitalize(ty.code) === suffix);
    if (t) return { element, type: t.code };
  }
  return undefined;
}

/**
 * How one JSON property of a type is walked, computed once per (type, profile): the element, the
 * value's type, whether it is primitive, and the schema to descend into. A walk is then one map
 * lookup per property, with no repeated choice-type resolution or registry lookups.
 */
interface PropertyRule {
  element: InternalSchemaElement;
  type: string;
  name: string;
  primitive: boolean;
  /** Schema of a complex value (undefined for primitives, resources and unknown types). */
  schema: InternalTypeSchema | undefined;
}

const ruleTables = new WeakMap<InternalTypeSchema, Map<string, Map<string, PropertyRule | undefined>>>();

function propertyRule(
  schema: InternalTypeSchema,
  key: string,
  profile: string | undefined,
): PropertyRule | undefined {
  let byProfile = ruleTables.get(schema);
  if (!byProfile) ruleTables.set(schema, (byProfile = new Map()));
  const profileKey = profile ?? '';
  let table = byProfile.get(profileKey);
  if (!table) byProfile.set(profileKey, (table = new Map()));
  let rule = table.get(key);
  if (rule === undefined && !table.has(key)) {
    rule = buildRule(schema, key, profile);
    table.set(key, rule);
  }
  return rule;
}

function buildRule(
  schema: InternalTypeSchema,
  key: string,
  profile: string | undefined,
): PropertyRule | undefined {
  const isShadow = key.startsWith('_');
  const name = isShadow ? key.slice(1) : key;
  const found = findElement(schema, name);
  if (!found) return undefined;
  const type = isShadow ? 'Element' : found.type;
  const primitive = isPrimitiveType(type) || ELEMENT_TYPE_CODE.test(type);
  const complex = !primitive && type !== 'Resource';
  return {
    element: found.element,
    type,
    name,
    primitive,
    schema: complex ? tryGetDataType(type, profile) : undefined,
  };
}

/**
 * Walks a resource along its type definitions (the profile's where one applies, else the base),
 * calling the visitor for each resource, primitive and complex value. Properties that match no
 * element are skipped: `@medplum/core` already reports them.
 */
export function walkResource(
  resource: Record<string, unknown>,
  schema: InternalTypeSchema,
  path: string,
  visitor: Visitor,
  profile?: string,
): void {
  visitor.resource(resource, path);
  walkObject(resource, schema, path, visitor, profile);
}

function walkObject(
  obj: Record<string, unknown>,
  schema: InternalTypeSchema,
  path: string,
  visitor: Visitor,
  profile: string | undefined,
): void {
  for (const key in obj) {
    if (key === 'resourceType') continue;
    const rule = propertyRule(schema, key, profile);
    if (!rule) continue;
    const value = obj[key];
    if (Array.isArray(value)) {
      const base = `${path}.${rule.name}[`;
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (item === null || item === undefined) continue;
        visitValue(rule, item, `${base}${i}]`, value, i, visitor, profile);
      }
    } else if (value !== null && value !== undefined) {
      visitValue(rule, value, `${path}.${rule.name}`, obj, key, visitor, profile);
    }
  }
}

function visitValue(
  rule: PropertyRule,
  value: unknown,
  path: string,
  parent: object,
  key: string | number,
  visitor: Visitor,
  profile: string | undefined,
): void {
  const visit: Visit = { value, type: rule.type, element: rule.element, path, parent, key, profile };
  if (rule.primitive) {
    visitor.primitive(visit);
    return;
  }
  if (!isObject(value)) return; // wrong JSON type: reported by @medplum/core
  if (rule.type === 'Resource') {
    const rt = value.resourceType;
    const schema = typeof rt === 'string' ? tryGetDataType(rt) : undefined;
    if (schema) walkResource(value, schema, path, visitor);
    return;
  }
  visitor.complex(visit);
  // An extension's elements are governed by its own StructureDefinition (bindings, patterns).
  const extension =
    rule.type === 'Extension' && typeof value.url === 'string'
      ? visitor.extensionProfile?.(value.url)
      : undefined;
  if (extension) walkObject(value, extension.schema, path, visitor, extension.url);
  else if (rule.schema) walkObject(value, rule.schema, path, visitor, profile);
}
