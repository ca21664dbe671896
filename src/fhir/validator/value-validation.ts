import { isPrimitiveType, tryGetDataType } from '@medplum/core';
import type { InternalSchemaElement } from '@medplum/core';
import { issue } from '../outcomes';
import type { CheckContext } from './context';
import { checkPrimitiveValue } from './primitive-values';
import type { Deps } from './visitor';
import { createVisitor } from './visitor';
import type { Visit } from './walker';
import { walkValue } from './walker';
import { isJsonObject } from '../json-object';

/** Where a free-standing value sits, so that its number literal text can be found. */
export interface ValueHolder {
  parent: object;
  key: string | number;
}

/** An element of the given type with no rules of its own, as a free-standing value has. */
function bareElement(type: string): InternalSchemaElement {
  return { path: type, description: '', min: 0, max: 1, isArray: false, type: [{ code: type }] };
}

/**
 * Judges `value` as a value of the FHIR type `type` (a primitive type code such as `dateTime`,
 * or a datatype such as `Reference`): the type's own rules, not those of any element or of an
 * enclosing resource. `null` means no value: an element may be given by its extensions alone
 * (https://hl7.org/fhir/R4/json.html#primitive) when its type makes the value optional.
 */
export function validateFreeValue(
  type: string,
  value: unknown,
  holder: ValueHolder,
  ctx: CheckContext,
  deps: Deps,
): void {
  const schema = tryGetDataType(type);
  if (!schema || schema.kind === 'resource') {
    ctx.issues.push(issue({ code: 'not-supported', text: `'${type}' is not a FHIR datatype.` }));
    return;
  }
  if (value === null || value === undefined) {
    // "No value" is allowed where the type's value is optional (0..1): its extensions carry it.
    // xhtml's value is 1..1 and it has no extensions (https://hl7.org/fhir/R4/narrative.html#xhtml).
    const required = schema.elements.value?.min ?? 0;
    if (required > 0)
      ctx.issues.push(issue({ code: 'required', text: `A ${type} must have a value.`, expression: type }));
    return;
  }
  const visitor = createVisitor(ctx, deps, undefined, undefined);
  const visit: Visit = { value, type, element: bareElement(type), path: type, ...holder };
  if (isPrimitiveType(type)) {
    visitor.primitive(visit);
    const scope = { issues: ctx.issues, root: undefined, label: undefined };
    if (typeof value !== 'object') checkPrimitiveValue({ type, value }, type, scope);
    return;
  }
  visitor.complex(visit);
  if (isJsonObject(value)) walkValue(value, schema, type, visitor);
}
