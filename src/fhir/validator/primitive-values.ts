import { fhirTypeToJsType, validationRegexes } from '@medplum/core';
import type { TypedValue } from '@medplum/core';
import { issue } from '../outcomes';
import type { StructureScope } from './structure-scope';
import { labelled } from './structure-scope';

/**
 * The lexical rules of FHIR primitives (https://hl7.org/fhir/R4/datatypes.html#primitive) as
 * `@medplum/core` 4.5 applies them: the JSON type, non-blank strings of at most 1 MB, the R4
 * regular expressions, and integer ranges. Stricter rules (dateTime seconds, 32-bit integers,
 * XHTML) are in primitive-checks.ts.
 */
const INTEGER_TYPES = new Set(['integer', 'positiveInt', 'unsignedInt']);
/** R4: "strings SHALL NOT exceed 1MB in size" (https://hl7.org/fhir/R4/datatypes.html#string). */
export const MAX_STRING = 1024 * 1024;

type JsTypes = Record<string, 'string' | 'number' | 'boolean'>;
// Read once: `@medplum/core`'s CommonJS exports are getters, and these are used for every value.
const JS_TYPES = fhirTypeToJsType as JsTypes;
// medplum's base64Binary pattern captures every 4-character group: linear, but a megabyte takes
// a quarter of a second; the same language without captures takes a tenth of that.
const REGEXES: Record<string, RegExp> = {
  ...validationRegexes,
  base64Binary: /^(?:[A-Za-z\d+/]{4})*(?:[A-Za-z\d+/]{2}==|[A-Za-z\d+/]{3}=)?$/,
};

/** The primitive part of a value that may carry a primitive extension (`_x`), if any. */
function primitivePart(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const unboxed: unknown = value.valueOf();
  return unboxed === value ? undefined : unboxed;
}

/** Checks one primitive value of the given FHIR type. */
export function checkPrimitiveValue(typed: TypedValue, path: string, scope: StructureScope): void {
  const value = primitivePart(typed.value);
  if (value === undefined) return; // only an extension: walked as an Element
  const fail = (text: string): void => {
    scope.issues.push(issue({ code: 'structure', text: labelled(text, scope), expression: path }));
  };
  const expected = JS_TYPES[typed.type];
  if (!expected) {
    fail(`Invalid JSON type: ${typed.type} is not a valid FHIR type`);
    return;
  }
  if (typeof value !== expected) {
    if (value !== null) fail(`Invalid JSON type: expected ${expected}, but got ${typeof value}`);
    return;
  }
  if (typeof value === 'string') checkString(value, typed.type, fail);
  else if (typeof value === 'number') checkNumber(value, typed.type, fail);
}

function checkString(value: string, type: string, fail: (text: string) => void): void {
  // The xhtml type is XHTML content, not a FHIR string: it has no string regex, and that a
  // narrative has content is the Narrative's own rule (txt-2, narrative-checks.ts).
  if (type === 'xhtml') return;
  if (!value.trim()) fail('String must contain non-whitespace content');
  else if (value.length > MAX_STRING) fail('String cannot be larger than 1 MB');
  else if (REGEXES[type] && !REGEXES[type].test(value)) fail(`Invalid ${type} format`);
}

function checkNumber(value: number, type: string, fail: (text: string) => void): void {
  if (!Number.isFinite(value)) fail('Invalid numeric value');
  else if (INTEGER_TYPES.has(type) && !Number.isInteger(value)) fail('Expected number to be an integer');
  else if (type === 'positiveInt' && value <= 0) fail('Expected number to be positive');
  else if (type === 'unsignedInt' && value < 0) fail('Expected number to be non-negative');
}
