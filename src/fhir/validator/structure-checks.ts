import {
  deepEquals,
  deepIncludes,
  getAllDataTypes,
  getTypedPropertyValueWithSchema,
  isEmpty,
  isPrimitiveType,
  tryGetDataType,
} from '@medplum/core';
import type {
  InternalSchemaElement,
  InternalTypeSchema,
  TypedValue,
  TypedValueWithPath,
} from '@medplum/core';
import { ownProperty } from '../own-property';
import { issue } from '../outcomes';
import { checkConstraints } from './constraints';
import { checkPrimitiveValue } from './primitive-values';
import { checkReferenceTarget } from './reference-targets';
import { checkSliceCounts } from './slice-checks';
import type { StructureScope } from './structure-scope';
import type { Touch } from './walker';
import { labelled } from './structure-scope';
import { checkKeys } from './structure-keys';
import { nestedProperty } from './nested-property';

/**
 * The structural rules of a type or profile (https://hl7.org/fhir/R4/elementdefinition.html):
 * required elements, single vs repeating, cardinality, fixed/pattern, slice cardinality,
 * invariants, reference targets, primitive lexical rules, unknown properties and nulls — the
 * checks `@medplum/core` `validateResource` makes, with its semantics, but applied to the
 * properties an object has rather than crawling every element its type defines, in the same walk
 * as kap-bridge's own checks. medplum's crawler fetches every defined element of every object,
 * present or not, which is where most of its time goes.
 */

// Bound once: `@medplum/core` is a CommonJS bundle whose exports are getters, and these run for
// every value of every walk.
const isEmptyValue = isEmpty;
const isPrimitive = isPrimitiveType;

/** One object met by the walk, with the elements its properties matched (element key → {@link Touch}). */
export interface ObjectVisit {
  obj: Record<string, unknown>;
  schema: InternalTypeSchema;
  path: string;
  touched: ReadonlyMap<string, Touch>;
  /** The nearest enclosing resource (FHIRPath `%resource`). */
  resource: unknown;
  /** True for the validated root and for an extension checked against its own definition. */
  root: boolean;
}

/**
 * A type's elements split once: required direct elements, and the rules a profile sets on the
 * children of a datatype element, which medplum keys by dotted path (`identifier.system`).
 */
interface ElementTable {
  required: [string, InternalSchemaElement][];
  /** First step (an element key) → its dotted elements. */
  nested: Map<string, [string, InternalSchemaElement][]>;
}

const tables = new WeakMap<InternalTypeSchema, ElementTable>();

function elementTable(schema: InternalTypeSchema): ElementTable {
  let table = tables.get(schema);
  if (!table) {
    table = { required: [], nested: new Map() };
    for (const [key, element] of Object.entries(schema.elements)) {
      const dot = key.indexOf('.');
      if (dot < 0) {
        if (element.min > 0) table.required.push([key, element]);
        continue;
      }
      const first = key.slice(0, dot);
      if (!addsRules(schema, key, element)) continue;
      const list = table.nested.get(first) ?? [];
      list.push([key, element]);
      table.nested.set(first, list);
    }
    tables.set(schema, table);
  }
  return table;
}

const names = new WeakMap<InternalTypeSchema, string>();

/**
 * The name medplum's registry knows a schema by, so that its property lookups (choice types,
 * dotted profile paths) resolve against this schema: a base type by name, a profile by its URL
 * (profile-cache.ts), a profile's inner type by its unique name (profile-schema.ts).
 */
function registeredName(schema: InternalTypeSchema): string {
  let name = names.get(schema);
  if (name === undefined) {
    const registry = getAllDataTypes();
    name = schema.url && registry[schema.url] === schema ? schema.url : schema.name;
    names.set(schema, name);
  }
  return name;
}

function structureIssue(scope: StructureScope, path: string, text: string): void {
  scope.issues.push(issue({ code: 'structure', text: labelled(text, scope), expression: path }));
}

/** Checks one object against its type's (or profile's) elements. */
export function checkObjectStructure(visit: ObjectVisit, scope: StructureScope): void {
  const parent: TypedValue = { type: registeredName(visit.schema), value: visit.obj };
  const table = elementTable(visit.schema);
  if (visit.root) checkConstraints(visit.schema.constraints, parent, visit.path, scope, visit.resource);
  else if (visit.obj === visit.resource)
    checkConstraints(profileInvariants(visit.schema), parent, visit.path, scope, visit.resource);
  else checkConstraints(datatypeInvariants(visit.schema), parent, visit.path, scope, visit.resource);
  for (const [key, touch] of visit.touched) {
    const element = visit.schema.elements[key];
    if (!element) continue;
    const path = `${visit.path}.${touch.name}`;
    if (isEmptyContainer(ownProperty(visit.obj as Record<string, unknown>, touch.name))) {
      // Read as absent by medplum, so `identifier: {}` passed and reached the reverse mapping.
      structureIssue(scope, path, 'Arrays and objects are never empty in FHIR JSON (R4 json.html)');
      continue;
    }
    const value = propertyValues(parent, key, touch, path, element, scope);
    checkValue(value, element, path, visit, scope);
    const nested = table.nested.get(key);
    if (nested)
      checkNested(nested, { type: parent.type, value: parent.value, path: visit.path }, visit, scope);
  }
  for (const [key, element] of table.required) {
    if (!visit.touched.has(key)) structureIssue(scope, `${visit.path}.${key}`, describeMissing(element));
  }
  checkKeys(parent, visit.schema, visit.path, scope);
}

// ele-1 is reported structurally; ref-1 is checked with the element that holds the Reference.
const ELEMENT_LEVEL = new Set(['ele-1', 'ref-1']);
const typeInvariants = new WeakMap<InternalTypeSchema, InternalSchemaElement['constraints']>();

/**
 * The invariants a datatype itself carries (per-1 on Period, rng-2 on Range, qty-3 on Quantity,
 * …, https://hl7.org/fhir/R4/datatypes.html): they hold wherever the type is used, while the
 * element that uses it lists only its own. A backbone element's and a resource's are checked
 * elsewhere; an Extension's ext-1 at the extension's own walk.
 */
function datatypeInvariants(schema: InternalTypeSchema): InternalSchemaElement['constraints'] {
  let found = typeInvariants.get(schema);
  if (found === undefined) {
    const datatype = tryGetDataType(schema.type)?.kind === 'complex-type' && schema.type !== 'Extension';
    found = datatype ? (schema.constraints ?? []).filter((c) => !ELEMENT_LEVEL.has(c.key)) : [];
    typeInvariants.set(schema, found);
  }
  return found;
}

const addedInvariants = new WeakMap<InternalTypeSchema, InternalSchemaElement['constraints']>();

/**
 * The invariants a profile adds on a resource nested in the validated one (a Bundle entry or a
 * contained resource claiming it, e.g. vitalsigns' vs-2). The base invariants of nested resources
 * stay unchecked, as before the profile applied, so that claiming a profile adds only its rules.
 */
function profileInvariants(schema: InternalTypeSchema): InternalSchemaElement['constraints'] {
  let added = addedInvariants.get(schema);
  if (added === undefined) {
    const base = tryGetDataType(schema.type);
    const baseKeys = new Set((base === schema ? [] : (base?.constraints ?? [])).map((c) => c.key));
    added = base === schema ? [] : (schema.constraints ?? []).filter((c) => !baseKeys.has(c.key));
    addedInvariants.set(schema, added);
  }
  return added;
}

function sameConstraints(a: InternalSchemaElement, b: InternalSchemaElement): boolean {
  const keys = (e: InternalSchemaElement): string =>
    (e.constraints ?? [])
      .map((c) => `${c.key}|${c.severity}|${c.expression}`)
      .sort()
      .join(';');
  return keys(a) === keys(b);
}

function sameTypes(a: InternalSchemaElement, b: InternalSchemaElement): boolean {
  const types = (e: InternalSchemaElement): string =>
    JSON.stringify(e.type.map((t) => [t.code, t.targetProfile ?? []]));
  return types(a) === types(b);
}

/**
 * medplum lists every child of a constrained datatype element, most of them copies of the
 * datatype's own definition; the walk checks the datatype with its own definition anyway, so
 * only children whose rules differ (cardinality, fixed/pattern, slicing, invariants, types) are
 * checked again.
 */
function addsRules(schema: InternalTypeSchema, key: string, element: InternalSchemaElement): boolean {
  const steps = key.split('.');
  const owner = steps.length === 2 ? schema.elements[steps[0] ?? ''] : undefined;
  const ownerType = owner?.type.length === 1 ? owner.type[0]?.code : undefined;
  const base = ownerType ? tryGetDataType(ownerType)?.elements[steps[1] ?? ''] : undefined;
  if (!base) return true;
  return (
    element.min !== base.min ||
    element.max !== base.max ||
    element.isArray !== base.isArray ||
    !!element.fixed ||
    !!element.pattern ||
    !!element.slicing ||
    !sameConstraints(element, base) ||
    !sameTypes(element, base)
  );
}

/** Profile rules on children of datatype elements, per occurrence of the datatype. */
function checkNested(
  nested: [string, InternalSchemaElement][],
  parent: TypedValueWithPath,
  visit: ObjectVisit,
  scope: StructureScope,
): void {
  for (const [key, element] of nested) {
    let found: (TypedValueWithPath | TypedValueWithPath[])[];
    try {
      found = nestedProperty(parent, key);
    } catch (err) {
      structureIssue(scope, `${parent.path}.${key}`, err instanceof Error ? err.message : String(err));
      continue;
    }
    const holdsResources = startsInResource(parent, key);
    for (const entry of found) {
      const first = Array.isArray(entry) ? entry[0] : entry;
      if (!first) continue;
      const path = Array.isArray(entry) ? first.path.replace(/\[\d+\]$/, '') : first.path;
      const inner = holdsResources ? nestedResource(parent, key, path) : undefined;
      const at = inner === undefined ? visit : { ...visit, resource: inner };
      checkValue(first.value === undefined ? undefined : entry, element, path, at, scope);
    }
  }
}

/**
 * The resource a dotted profile rule's value lies in when its first step is a resource (a
 * `contained` resource the profile constrains in place): FHIRPath's `%resource` there is that
 * resource, not the one holding it.
 */
function startsInResource(parent: TypedValueWithPath, key: string): boolean {
  const raw = (parent.value as Record<string, unknown>)[key.slice(0, key.indexOf('.'))];
  return Array.isArray(raw) ? raw.some(isResourceJson) : isResourceJson(raw);
}

function isResourceJson(v: unknown): boolean {
  return (
    typeof v === 'object' && v !== null && typeof (v as { resourceType?: unknown }).resourceType === 'string'
  );
}

function nestedResource(parent: TypedValueWithPath, key: string, path: string): unknown {
  const step = key.slice(0, key.indexOf('.'));
  const raw = (parent.value as Record<string, unknown>)[step];
  const prefix = `${parent.path}.${step}`;
  if (!path.startsWith(prefix)) return undefined;
  const index = /^\[(\d+)\]/.exec(path.slice(prefix.length))?.[1];
  const item: unknown = Array.isArray(raw) ? (index === undefined ? undefined : raw[Number(index)]) : raw;
  return typeof item === 'object' &&
    item !== null &&
    typeof (item as { resourceType?: unknown }).resourceType === 'string'
    ? item
    : undefined;
}

function describeMissing(element: InternalSchemaElement): string {
  return `Missing required property (${element.path} is ${element.min}..${Number.isFinite(element.max) ? element.max : '*'})`;
}

function typed(value: unknown, type: string): TypedValue {
  const rt = type === 'Resource' ? (value as { resourceType?: unknown }).resourceType : undefined;
  return { type: typeof rt === 'string' ? rt : type, value };
}

/**
 * The typed values of a property, as `getTypedPropertyValueWithSchema` gives them. A plain
 * property (the common case) is typed directly from the type the walk resolved; a primitive with
 * a `_x` twin, or conflicting choice types, go through medplum, which merges and picks.
 */
/** `[]` or `{}`: FHIR JSON never has them (http://hl7.org/fhir/R4/json.html, ele-1). */
function isEmptyContainer(raw: unknown): boolean {
  if (Array.isArray(raw)) return raw.length === 0;
  if (typeof raw !== 'object' || raw === null) return false;
  // The first own key decides; no array of every key is built (this runs for every property).
  for (const key in raw) if (Object.prototype.hasOwnProperty.call(raw, key)) return false;
  return true;
}

function propertyValues(
  parent: TypedValue,
  key: string,
  touch: Touch,
  path: string,
  element: InternalSchemaElement,
  scope: StructureScope,
): TypedValue | TypedValue[] | undefined {
  if (touch.type !== undefined) {
    const raw = (parent.value as Record<string, unknown>)[touch.name];
    if (isEmptyValue(raw)) return undefined;
    const generic = touch.type === 'Element' || touch.type === 'BackboneElement';
    const type = generic ? (element.type[0]?.code ?? touch.type) : touch.type;
    return Array.isArray(raw) ? raw.map((v) => typed(v, type)) : typed(raw, type);
  }
  try {
    return getTypedPropertyValueWithSchema(parent, key, element);
  } catch (err) {
    // e.g. a primitive extension (`_x`) that is not an object
    structureIssue(scope, path, err instanceof Error ? err.message : String(err));
    return undefined;
  }
}

function checkValue(
  value: TypedValue | TypedValue[] | undefined,
  element: InternalSchemaElement,
  path: string,
  visit: ObjectVisit,
  scope: StructureScope,
): void {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) {
    if (element.min > 0) structureIssue(scope, path, describeMissing(element));
    return;
  }
  if (element.isArray !== Array.isArray(value)) {
    const what = element.isArray ? 'an array of values' : 'a single value';
    structureIssue(scope, path, `Expected ${what} for property`);
    return;
  }
  const values = Array.isArray(value) ? value : [value];
  if (values.length < element.min || values.length > element.max) {
    const max = Number.isFinite(element.max) ? element.max : '*';
    structureIssue(
      scope,
      path,
      `Invalid number of values: expected ${element.min}..${max}, but found ${values.length}`,
    );
  }
  if (!matchesSpecifiedValue(value, element))
    structureIssue(scope, path, 'Value did not match expected pattern');
  values.forEach((v, i) => {
    const itemPath = element.isArray ? `${path}[${i}]` : path;
    checkConstraints(element.constraints, v, itemPath, scope, visit.resource);
    checkReferenceTarget(v, element, itemPath, scope);
    if (isPrimitive(v.type)) checkPrimitiveValue(v, itemPath, scope);
    else if (isEmptyValue(v.value)) structureIssue(scope, itemPath, 'Invalid empty non-primitive value');
  });
  if (element.slicing) checkSliceCounts(values, element.slicing, path, scope);
}

function matchesSpecifiedValue(value: TypedValue | TypedValue[], element: InternalSchemaElement): boolean {
  if (!element.pattern && !element.fixed) return true;
  const plain = Array.isArray(value)
    ? value.map((v) => ({ type: v.type, value: v.value }))
    : { type: value.type, value: value.value };
  if (element.pattern && !deepIncludes(plain, element.pattern)) return false;
  return !element.fixed || deepEquals(plain, element.fixed);
}
