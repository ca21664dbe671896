import { capitalize, isPrimitiveType, tryGetDataType } from '@medplum/core';
import type { InternalSchemaElement, InternalTypeSchema } from '@medplum/core';
import { ownProperty } from '../own-property';
import { isJsonObject } from '../json-object';

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
  /** Path of the nearest enclosing resource (e.g. `Bundle.entry[0].resource`); none for a free value. */
  resourcePath?: string;
  /** The nearest enclosing resource itself. */
  resource?: Record<string, unknown>;
}

/**
 * An element an object's properties matched: the JSON name, and the value's type when one plain
 * property (no `_x` twin, no second choice type) holds it; otherwise `type` is undefined.
 */
export interface Touch {
  name: string;
  type: string | undefined;
}

/** One object of a walk, after its properties were visited. */
export interface ObjectWalk {
  obj: Record<string, unknown>;
  schema: InternalTypeSchema;
  path: string;
  touched: ReadonlyMap<string, Touch>;
  /** The nearest enclosing resource (the object itself when it is one); none for a free value. */
  resource: Record<string, unknown> | undefined;
  /** True for the walk's root and for an extension walked with its own definition. */
  root: boolean;
  profile: string | undefined;
}

/** Callbacks of a walk. */
export interface Visitor {
  primitive(visit: Visit): void;
  complex(visit: Visit): void;
  resource(resource: Record<string, unknown>, path: string): void;
  /** After an object's properties were walked: the elements they matched (element key → JSON name). */
  object?(visit: ObjectWalk): void;
  /** The profile an Extension is defined by (from its url), so its contents are walked with it. */
  extensionProfile?(url: string): { url: string; schema: InternalTypeSchema } | undefined;
  /** Whether to walk a resource nested in the walked one (default: yes). */
  walkNested?(resource: Record<string, unknown>, path: string): boolean;
  /** The loaded profiles a nested resource (Bundle entry, contained) claims; none: the base. */
  resourceProfiles?(resource: Record<string, unknown>): { url: string; schema: InternalTypeSchema }[];
}

const ELEMENT_TYPE_CODE = /^http:\/\/hl7\.org\/fhirpath\/System\./;

/** Finds the element for a JSON property, resolving choice types (`valueQuantity` → `value[x]`). */
type Found = { element: InternalSchemaElement; type: string; key: string } | undefined;
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
  const direct = ownProperty(schema.elements, key);
  if (direct) return { element: direct, type: direct.type[0]?.code ?? 'Element', key };
  for (const [name, element] of Object.entries(schema.elements)) {
    if (!name.endsWith('[x]')) continue;
    const stem = name.slice(0, -3);
    if (!key.startsWith(stem)) continue;
    const suffix = key.slice(stem.length);
    const t = element.type.find((ty) => capitalize(ty.code) === suffix);
    if (t) return { element, type: t.code, key: name };
  }
  return undefined;
}

/**
 * How one JSON property of a type is walked, computed once per type: the element, the value's
 * type, whether it is primitive, and the schema to descend into. A walk is then one map lookup
 * per property, with no repeated choice-type resolution or registry lookups.
 */
interface PropertyRule {
  element: InternalSchemaElement;
  /** Key of the element in the schema (`value[x]` for `valueString`). */
  elementKey: string;
  type: string;
  name: string;
  primitive: boolean;
  /** Schema of a complex value (undefined for primitives, resources and unknown types). */
  schema: InternalTypeSchema | undefined;
}

const ruleTables = new WeakMap<InternalTypeSchema, Map<string, PropertyRule | undefined>>();

function propertyRule(schema: InternalTypeSchema, key: string): PropertyRule | undefined {
  let table = ruleTables.get(schema);
  if (!table) ruleTables.set(schema, (table = new Map()));
  let rule = table.get(key);
  if (rule === undefined && !table.has(key)) {
    rule = buildRule(schema, key);
    table.set(key, rule);
  }
  return rule;
}

function buildRule(schema: InternalTypeSchema, key: string): PropertyRule | undefined {
  const isShadow = key.startsWith('_');
  const name = isShadow ? key.slice(1) : key;
  const found = findElement(schema, name);
  if (!found) return undefined;
  const type = isShadow ? 'Element' : found.type;
  const primitive = isPrimitiveType(type) || ELEMENT_TYPE_CODE.test(type);
  const complex = !primitive && type !== 'Resource';
  return {
    element: found.element,
    elementKey: found.key,
    type,
    name,
    primitive,
    // Below the root, types are the base ones (or a profile's uniquely named inner types, see
    // profile-schema.ts), as `@medplum/core`'s crawler resolves them.
    schema: complex ? tryGetDataType(type) : undefined,
  };
}

function touch(touched: Map<string, Touch>, rule: PropertyRule, key: string): void {
  const earlier = touched.get(rule.elementKey);
  const plain = key === rule.name;
  if (!earlier) touched.set(rule.elementKey, { name: rule.name, type: plain ? rule.type : undefined });
  else earlier.type = undefined; // a `_x` twin or a second choice type: medplum's resolution decides
}

/** Where a walk is: the object's schema, path, profile, enclosing resource. */
interface Place {
  schema: InternalTypeSchema;
  path: string;
  profile: string | undefined;
  resource: Record<string, unknown> | undefined;
  resourcePath: string | undefined;
}

/** Every Place is built here, with one shape, so that the walk's property reads stay monomorphic. */
function place(
  schema: InternalTypeSchema,
  path: string,
  profile: string | undefined,
  resource: Record<string, unknown> | undefined,
  resourcePath: string | undefined,
): Place {
  return { schema, path, profile, resource, resourcePath };
}

/**
 * Walks a resource along its type definitions (the profile's where one applies, else the base),
 * calling the visitor for each resource, object, primitive and complex value. Properties that
 * match no element are not descended into (the object callback reports them).
 */
export function walkResource(
  resource: Record<string, unknown>,
  schema: InternalTypeSchema,
  path: string,
  visitor: Visitor,
  profile?: string,
  root = true,
): void {
  visitor.resource(resource, path);
  walkObject(resource, place(schema, path, profile, resource, path), visitor, root);
}

/** Walks a complex value on its own (not in a resource) as the root of a walk, e.g. a Reference. */
export function walkValue(
  value: Record<string, unknown>,
  schema: InternalTypeSchema,
  path: string,
  visitor: Visitor,
): void {
  walkObject(value, place(schema, path, undefined, undefined, undefined), visitor, true);
}

function walkObject(obj: Record<string, unknown>, at: Place, visitor: Visitor, root: boolean): void {
  const touched = new Map<string, Touch>();
  for (const key in obj) {
    if (key === 'resourceType') continue;
    const rule = propertyRule(at.schema, key);
    if (!rule) continue;
    touch(touched, rule, key);
    const value = obj[key];
    if (Array.isArray(value)) {
      const base = `${at.path}.${rule.name}[`;
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (item === null || item === undefined) continue;
        visitValue(rule, item, `${base}${i}]`, value, i, visitor, at);
      }
    } else if (value !== null && value !== undefined) {
      visitValue(rule, value, `${at.path}.${rule.name}`, obj, key, visitor, at);
    }
  }
  // Spelt out rather than spread: this runs for every object of every walk.
  visitor.object?.({
    obj,
    schema: at.schema,
    path: at.path,
    profile: at.profile,
    resource: at.resource,
    touched,
    root,
  });
}

function visitValue(
  rule: PropertyRule,
  value: unknown,
  path: string,
  parent: object,
  key: string | number,
  visitor: Visitor,
  at: Place,
): void {
  const profile = at.profile;
  const visit: Visit = {
    value,
    type: rule.type,
    element: rule.element,
    path,
    parent,
    key,
    profile,
    resourcePath: at.resourcePath,
    resource: at.resource,
  };
  if (rule.primitive) {
    visitor.primitive(visit);
    return;
  }
  if (!isJsonObject(value)) {
    visitor.complex(visit); // wrong JSON type: the complex callback reports it
    return;
  }
  if (rule.type === 'Resource') {
    walkNestedResource(value, path, visitor);
    return;
  }
  visitor.complex(visit);
  // An extension's elements are governed by its own StructureDefinition (bindings, patterns).
  const extension =
    rule.type === 'Extension' && typeof value.url === 'string'
      ? visitor.extensionProfile?.(value.url)
      : undefined;
  // A resource a profile types in place (e.g. `contained` narrowed to Practitioner) is walked as
  // a complex value, but it is still the resource FHIRPath's `%resource` names below it.
  const inPlace = typeof value.resourceType === 'string';
  const resource = inPlace ? value : at.resource;
  const resourcePath = inPlace ? path : at.resourcePath;
  if (extension)
    walkObject(value, place(extension.schema, path, extension.url, resource, resourcePath), visitor, true);
  else if (rule.schema)
    walkObject(value, place(rule.schema, path, profile, resource, resourcePath), visitor, false);
}

/**
 * A resource inside the walked one (Bundle.entry.resource, contained, Parameters) is walked
 * against each loaded profile it claims, or the base when it claims none: as at the root, a
 * profile's snapshot covers the base, so a base walk next to it would only repeat its findings.
 */
function walkNestedResource(value: Record<string, unknown>, path: string, visitor: Visitor): void {
  const rt = value.resourceType;
  const schema = typeof rt === 'string' ? tryGetDataType(rt) : undefined;
  if (!schema || visitor.walkNested?.(value, path) === false) return;
  const claimed = visitor.resourceProfiles?.(value) ?? [];
  if (claimed.length === 0) walkResource(value, schema, path, visitor, undefined, false);
  for (const p of claimed) walkResource(value, p.schema, path, visitor, p.url, false);
}
