import { getTypedPropertyValueWithSchema } from '@medplum/core';
import type { InternalSchemaElement, InternalTypeSchema, TypedValue } from '@medplum/core';
import { ownProperty } from '../own-property';
import { issue } from '../outcomes';
import type { StructureScope } from './structure-scope';
import { labelled } from './structure-scope';

/**
 * The JSON properties of one object (https://hl7.org/fhir/R4/json.html): each names an element
 * (or its `_x` twin) of the type, one choice type is used per choice element, and `null` appears
 * only in a primitive array whose `_x` twin carries that position. Same rules and texts as
 * `@medplum/core` 4.5; the classification of a key is computed once per (type, key).
 */

/** How a key relates to a type's elements, independent of the instance. */
interface KeyClass {
  /** `value[x]` (or `_value[x]`) when the key starts like a choice element. */
  choice?: { name: string; stem: string; element: InternalSchemaElement };
  known: boolean;
}

const classes = new WeakMap<InternalTypeSchema, Map<string, KeyClass>>();

function classify(schema: InternalTypeSchema, key: string): KeyClass {
  let table = classes.get(schema);
  if (!table) classes.set(schema, (table = new Map()));
  let found = table.get(key);
  if (!found) {
    const elements = schema.elements;
    const shadow = key.startsWith('_');
    const bare = shadow ? key.slice(1) : key;
    found = { known: Object.hasOwn(elements, key) || (shadow && Object.hasOwn(elements, bare)) };
    let stem = '';
    for (const part of bare.split(/(?=[A-Z])/g)) {
      stem += part;
      const element = ownProperty(elements, `${stem}[x]`);
      if (element) {
        found.choice = { name: `${shadow ? '_' : ''}${stem}[x]`, stem, element };
        break;
      }
    }
    table.set(key, found);
  }
  return found;
}

function structureIssue(scope: StructureScope, path: string, text: string, severity?: 'warning'): void {
  scope.issues.push(issue({ severity, code: 'structure', text: labelled(text, scope), expression: path }));
}

/** Checks the keys of one object: unknown properties, conflicting choice types, nulls. */
export function checkKeys(
  parent: TypedValue,
  schema: InternalTypeSchema,
  path: string,
  scope: StructureScope,
): void {
  const obj = parent.value as Record<string, unknown>;
  let choices: Map<string, string> | undefined;
  for (const key in obj) {
    if (key === 'resourceType') continue;
    checkNulls(obj, key, path, scope);
    const cls = classify(schema, key);
    const choice = cls.choice;
    if (choice && choiceIsUsed(parent, choice.stem, choice.element)) {
      choices ??= new Map();
      checkChoice(choices, choice.name, key, scope);
      continue;
    }
    if (!cls.known) structureIssue(scope, `${path}.${key}`, `Invalid additional property "${key}"`);
  }
}

function choiceIsUsed(parent: TypedValue, stem: string, element: InternalSchemaElement): boolean {
  try {
    return getTypedPropertyValueWithSchema(parent, stem, element) !== undefined;
  } catch {
    return true; // a malformed `_x` twin: reported with the property itself
  }
}

function checkChoice(choices: Map<string, string>, name: string, key: string, scope: StructureScope): void {
  const shadow = name.startsWith('_');
  const twinName = shadow ? name.slice(1) : `_${name}`;
  const twinKey = shadow ? key.slice(1) : `_${key}`;
  const twin = choices.get(twinName);
  const element = shadow ? name.slice(1) : name;
  if (twin !== undefined && twin !== twinKey) {
    structureIssue(
      scope,
      name,
      `Type of primitive extension does not match the type of property "${element}"`,
      'warning',
    );
  }
  const earlier = choices.get(name);
  if (earlier) {
    structureIssue(scope, key, `Conflicting choice of type properties: "${key}", "${earlier}"`, 'warning');
  }
  choices.set(name, key);
}

/** `parent` is the object's path: the key's own is built only for an issue (this runs for every key). */
function checkNulls(obj: Record<string, unknown>, key: string, parent: string, scope: StructureScope): void {
  const value = obj[key];
  if (value === null) {
    structureIssue(scope, `${parent}.${key}`, 'Invalid null value');
    return;
  }
  if (!Array.isArray(value)) return;
  const twin = obj[key.startsWith('_') ? key.slice(1) : `_${key}`];
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (item === undefined) structureIssue(scope, `${parent}.${key}[${i}]`, 'Invalid undefined value');
    // null keeps positions aligned in a primitive array whose `_x` twin has something there
    else if (item === null && !(Array.isArray(twin) && twin[i]))
      structureIssue(scope, `${parent}.${key}[${i}]`, 'Invalid null value');
  }
}
