import {
  DotAtom as MedplumDot,
  FunctionAtom as MedplumFunction,
  getTypedPropertyValue,
  isEmpty,
  SymbolAtom as MedplumSymbol,
} from '@medplum/core';
import type { Atom, TypedValue } from '@medplum/core';
import { isJsonObject } from '../json-object';

/**
 * The operand most invariants start with, `element.exists()` or `element.empty()` (no criteria),
 * answered without the FHIRPath machinery, with what `@medplum/core` 4.5 computes for it:
 * SymbolAtom reads the property with `getTypedPropertyValue` and drops undefined values, `exists()`
 * is "some value and none empty", `empty()` its negation. Only an element name (lower-case first
 * letter: never a variable, `$this`, or a type name that selects the context; nor a name
 * `Object.prototype` has, which medplum's variable lookup would find) qualifies, and an object
 * whose `resourceType` is that name is left to FHIRPath.
 */
// Bound once: `@medplum/core`'s CommonJS exports are getters.
const DotAtom = MedplumDot;
const FunctionAtom = MedplumFunction;
const SymbolAtom = MedplumSymbol;
const propertyOf = getTypedPropertyValue;
const isEmptyValue = isEmpty;
const ELEMENT_NAME = /^[a-z][A-Za-z0-9]*$/;

interface Presence {
  name: string;
  exists: boolean;
}

const shapes = new WeakMap<Atom, Presence | null>();

function shapeOf(atom: Atom): Presence | null {
  let shape = shapes.get(atom);
  if (shape === undefined) {
    shape = null;
    if (atom instanceof DotAtom && atom.left instanceof SymbolAtom && atom.right instanceof FunctionAtom) {
      const fn = atom.right;
      const name = atom.left.name;
      if (
        (fn.name === 'exists' || fn.name === 'empty') &&
        fn.args.length === 0 &&
        ELEMENT_NAME.test(name) &&
        !(name in Object.prototype)
      )
        shape = { name, exists: fn.name === 'exists' };
    }
    shapes.set(atom, shape);
  }
  return shape;
}

/** The operand's boolean when it has that shape; undefined to evaluate it with FHIRPath. */
export function presenceOperand(atom: Atom, value: TypedValue): boolean | undefined {
  const shape = shapeOf(atom);
  if (!shape) return undefined;
  const obj = value.value;
  if (!isJsonObject(obj) || obj.resourceType === shape.name) return undefined;
  const found = propertyOf(value, shape.name);
  let any = false;
  let noneEmpty = true;
  let allEmpty = true;
  for (const v of found === undefined ? [] : Array.isArray(found) ? found : [found]) {
    if (v?.value === undefined) continue;
    any = true;
    if (isEmptyValue(v.value)) noneEmpty = false;
    else allEmpty = false;
  }
  // medplum: exists() = some and every one non-empty; empty() = none, or every one empty.
  return shape.exists ? any && noneEmpty : !any || allEmpty;
}
