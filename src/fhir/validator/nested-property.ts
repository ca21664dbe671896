import { getElementDefinition, getTypedPropertyValue, getTypedPropertyValueWithSchema } from '@medplum/core';
import type { TypedValue, TypedValueWithPath } from '@medplum/core';

/**
 * `@medplum/core` `getNestedProperty(value, key, { withPath: true })`, step for step: each step
 * reads the property as `getTypedPropertyValue` does (the element found by the value's type,
 * choice types, `_x` twins), and each result carries its path the same way. medplum copies every
 * result with an object spread, whose many shapes made it a measurable share of validating the
 * resources ingest maps (issue 12); here each result is built with one shape.
 */
export function nestedProperty(
  value: TypedValueWithPath,
  key: string,
): (TypedValueWithPath | TypedValueWithPath[])[] {
  const [first, ...rest] = stepsOf(key);
  let values: (TypedValueWithPath | TypedValueWithPath[])[] = [propertyWithPath(value, first ?? '')];
  for (const step of rest) {
    const next: (TypedValueWithPath | TypedValueWithPath[])[] = [];
    for (const current of values) {
      if (Array.isArray(current)) for (const item of current) next.push(propertyWithPath(item, step));
      else if (current.value !== undefined) next.push(propertyWithPath(current, step));
    }
    values = next;
  }
  return values;
}

const steps = new Map<string, string[]>();

function stepsOf(key: string): string[] {
  let found = steps.get(key);
  if (!found) steps.set(key, (found = key.split('.')));
  return found;
}

function propertyWithPath(
  input: TypedValueWithPath,
  step: string,
): TypedValueWithPath | TypedValueWithPath[] {
  const prefix = input.path ? `${input.path}.` : '';
  const found = property(input, step);
  if (found === undefined) return { type: 'undefined', value: undefined, path: `${prefix}${step}` };
  if (Array.isArray(found))
    return found.map((v, i) => ({ type: v.type, value: v.value as unknown, path: `${prefix}${step}[${i}]` }));
  return { type: found.type, value: found.value as unknown, path: `${prefix}${step}` };
}

function property(input: TypedValue, step: string): TypedValue | TypedValue[] | undefined {
  if (!input.value) return undefined;
  const element = getElementDefinition(input.type, step);
  return element ? getTypedPropertyValueWithSchema(input, step, element) : getTypedPropertyValue(input, step);
}
