import {
  evalFhirPathTyped,
  isEmpty,
  isPrimitiveType,
  parseFhirPath,
  toTypedValue,
  tryGetDataType,
  UCUM,
} from '@medplum/core';
import type { Constraint, FhirPathAtom, TypedValue } from '@medplum/core';
import { issue } from '../outcomes';
import type { StructureScope } from './structure-scope';
import { labelled } from './structure-scope';
import { isJsonObject } from '../json-object';
import { holdsByShortCircuit } from './invariant-short-circuit';

/**
 * Invariants (ElementDefinition.constraint, https://hl7.org/fhir/R4/conformance-rules.html#constraints)
 * as `@medplum/core` evaluates them — only `error` severity, the same skipped keys, the first
 * failure per value — but each expression is parsed once per process (medplum keeps an LRU of
 * 1,000 parsed expressions shared by every caller) and the two invariants every element and
 * extension carries are decided natively: ele-1 is skipped as medplum skips it, ext-1 is a key test.
 */

// Skipped as `@medplum/core` 4.5 skips them: ele-1 (empty elements are reported structurally),
// dom-3 (needs descendants()), org-1 (back compatibility), sdf-19 (FHIR-defined types only).
const SKIPPED = new Set(['ele-1', 'dom-3', 'org-1', 'sdf-19']);
const EXT_1 = 'extension.exists() != value.exists()';
/**
 * Invariants whose published R4 expression contradicts their own human text, evaluated as the
 * text says (as the HL7 validator does). que-12 "If there are more than one enableWhen,
 * enableBehavior must be specified" is published as `count() > 2`, which lets two conditions go
 * without an enableBehavior; R4B and R5 publish `count() > 1`.
 */
const CORRECTED: ReadonlyMap<string, string> = new Map([
  [
    'enableWhen.count() > 2 implies enableBehavior.exists()',
    'enableWhen.count() > 1 implies enableBehavior.exists()',
  ],
]);
const UCUM_VALUE = toTypedValue(UCUM);
// Bound once: `@medplum/core`'s CommonJS exports are getters, and these run for every invariant.
const evaluate = evalFhirPathTyped;
const typedValue = toTypedValue;
const isEmptyValue = isEmpty;
const parsed = new Map<string, FhirPathAtom>();

function atomOf(expression: string): FhirPathAtom {
  let atom = parsed.get(expression);
  if (!atom) parsed.set(expression, (atom = withTypeFunction(parseFhirPath(expression))));
  return atom;
}

/**
 * FHIRPath `type()` (https://hl7.org/fhirpath/N1/#types-and-reflection) as the specification has
 * it: `@medplum/core` 4.5 answers only for resources, booleans and numbers, so an invariant such as
 * `%context.type().name = 'HumanName'` is empty, hence failed, on every datatype. The typed values
 * a walk evaluates carry their FHIR type, so each `type()` call of an expression parsed here (never
 * a shared one) answers from it.
 */
function withTypeFunction(atom: FhirPathAtom): FhirPathAtom {
  const seen = new Set<object>();
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null || seen.has(node)) return;
    seen.add(node);
    const fn = node as { name?: unknown; args?: unknown; eval?: unknown };
    if (
      fn.name === 'type' &&
      Array.isArray(fn.args) &&
      fn.args.length === 0 &&
      typeof fn.eval === 'function'
    ) {
      fn.eval = (_context: unknown, input: TypedValue[]): TypedValue[] => input.map(typeInfo);
    }
    withPrecisionAwareComparison(node);
    for (const child of Object.values(node)) {
      if (Array.isArray(child)) child.forEach(visit);
      else visit(child);
    }
  };
  visit(atom);
  return atom;
}

const ORDERING = new Set(['<', '<=', '>', '>=']);
const DATE_TYPES = new Set(['date', 'dateTime', 'instant']);
type Evaluable = { eval(context: unknown, input: TypedValue[]): TypedValue[] };

/**
 * FHIRPath ordering of dates and times (https://hl7.org/fhirpath/N1/#comparison): values of
 * different precision that agree as far as both go cannot be ordered, so the result is empty
 * (an invariant then fails, e.g. per-1 on `start: 2023-06-21`, `end: 2023-06-21T06:20:00Z`).
 * `@medplum/core` 4.5 compares them as if the shorter one were complete.
 */
function withPrecisionAwareComparison(node: object): void {
  const op = node as { operator?: unknown; left?: Evaluable; right?: Evaluable; eval?: unknown };
  if (typeof op.operator !== 'string' || !ORDERING.has(op.operator) || typeof op.eval !== 'function') return;
  const { left, right } = op;
  if (!left?.eval || !right?.eval) return;
  const original = (op.eval as Evaluable['eval']).bind(node);
  op.eval = (context: unknown, input: TypedValue[]): TypedValue[] => {
    const l = left.eval(context, input);
    const r = right.eval(context, input);
    return l.length === 1 && r.length === 1 && unorderable(l[0], r[0]) ? [] : original(context, input);
  };
}

/** Two date/time values of different precision whose common part is equal. */
function unorderable(a: TypedValue | undefined, b: TypedValue | undefined): boolean {
  if (!a || !b || !DATE_TYPES.has(a.type) || !DATE_TYPES.has(b.type)) return false;
  const x = a.value as unknown;
  const y = b.value as unknown;
  if (typeof x !== 'string' || typeof y !== 'string') return false;
  const px = precisionOf(x);
  const py = precisionOf(y);
  if (px === py) return false;
  const common = Math.min(px, py);
  return x.slice(0, common) === y.slice(0, common);
}

/** How far a value goes: YYYY, YYYY-MM, YYYY-MM-DD (by length), or a full date and time. */
function precisionOf(v: string): number {
  return v.includes('T') ? Number.MAX_SAFE_INTEGER : v.length;
}

const SYSTEM_TYPES: Record<string, string> = { boolean: 'Boolean', number: 'Decimal', string: 'String' };

function typeInfo(v: TypedValue): TypedValue {
  const value = v.value as unknown;
  const resourceType = isJsonObject(value) ? value.resourceType : undefined;
  const fhirType =
    typeof resourceType === 'string' ? resourceType : tryGetDataType(v.type) ? v.type : undefined;
  if (fhirType !== undefined || isPrimitiveType(v.type))
    return { type: 'BackboneElement', value: { namespace: 'FHIR', name: fhirType ?? v.type } };
  const system = SYSTEM_TYPES[typeof value];
  return { type: 'BackboneElement', value: system ? { namespace: 'System', name: system } : null };
}

/** ext-1 (https://hl7.org/fhir/R4/extensibility.html#Extension): extensions or a value, not both. */
function extensionOrValue(value: unknown): boolean {
  if (!isJsonObject(value)) return false;
  const hasExtensions = Array.isArray(value.extension) && value.extension.length > 0;
  let hasValue = false;
  for (const key in value) {
    // `value[x]` as FHIRPath sees it: a non-empty valueXxx, or a primitive's `_valueXxx` twin.
    const name = key.startsWith('_') ? key.slice(1) : key;
    if (name.startsWith('value') && name.length > 5 && !isEmptyValue(value[key])) {
      hasValue = true;
      break;
    }
  }
  return hasExtensions !== hasValue;
}

/**
 * dom-2, dom-4 and dom-5 (https://hl7.org/fhir/R4/domainresource.html#invariants) only say what
 * contained resources must not have: `contained.<path>.empty()`, joined by `and`. On a resource
 * without `contained` every such path is empty, so they hold. Every resource is checked against
 * them, and evaluating them through FHIRPath was about 9% of the CPU time of validating the
 * resources ingest maps (issue 12). A resource with `contained` evaluates them as before.
 */
const ABOUT_CONTAINED =
  /^contained(?:\.[A-Za-z]+)+\.empty\(\)(?: and contained(?:\.[A-Za-z]+)+\.empty\(\))*$/;

/**
 * What one invariant needs, read from its text once: whether it is checked at all, decided
 * natively (ext-1, dom-2/4/5 without contained), which variables it names, its parsed form. It
 * used to be re-read for every value an element's invariants apply to (issue 12).
 */
interface Plan {
  checked: boolean;
  ext1: boolean;
  aboutContained: boolean;
  usesResource: boolean;
  usesRootResource: boolean;
  atom: FhirPathAtom | undefined;
}

const plans = new WeakMap<Constraint, Plan>();

function planOf(constraint: Constraint): Plan {
  let plan = plans.get(constraint);
  if (!plan) {
    const text = constraint.expression;
    const checked = constraint.severity === 'error' && !SKIPPED.has(constraint.key);
    plan = {
      checked,
      ext1: text === EXT_1,
      aboutContained: ABOUT_CONTAINED.test(text),
      usesResource: text.includes('%resource'),
      usesRootResource: text.includes('%rootResource'),
      atom: undefined, // parsed on first evaluation: a parse error is reported for the value
    };
    plans.set(constraint, plan);
  }
  return plan;
}

function holds(
  constraint: Constraint,
  plan: Plan,
  value: TypedValue,
  scope: StructureScope,
  resource: unknown,
): boolean {
  if (plan.ext1) return extensionOrValue(value.value);
  if (plan.aboutContained && isJsonObject(value.value) && value.value.contained === undefined) return true;
  // A rule about the enclosing resource (e.g. ref-1: a local reference names a contained
  // resource) cannot be decided for a value validated on its own, outside any resource.
  if (resource === undefined && plan.usesResource) return true;
  if (!scope.root && plan.usesRootResource) return true;
  const variables: Record<string, TypedValue> = { '%context': value, '%ucum': UCUM_VALUE };
  // Only an expression naming %resource reads it (medplum's functions never do): typed only then.
  if (resource !== undefined && plan.usesResource) variables['%resource'] = typedValue(resource);
  if (scope.root) variables['%rootResource'] = scope.root;
  const atom = (plan.atom ??= atomOf(CORRECTED.get(constraint.expression) ?? constraint.expression));
  if (holdsByShortCircuit(atom, value, variables)) return true;
  const result = evaluate(atom, [value], variables);
  return result.length === 1 && result[0]?.value === true;
}

/** Checks the error invariants of one value; reports the first that fails. */
export function checkConstraints(
  constraints: Constraint[] | undefined,
  value: TypedValue,
  path: string,
  scope: StructureScope,
  resource: unknown,
): void {
  if (!constraints) return;
  for (const constraint of constraints) {
    const plan = planOf(constraint);
    if (!plan.checked) continue;
    let ok: boolean;
    try {
      ok = holds(constraint, plan, value, scope, resource);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      scope.issues.push(
        issue({
          code: 'processing',
          text: labelled(
            `Error evaluating invariant ${constraint.key} (${constraint.expression}): ${why}`,
            scope,
          ),
          expression: path,
        }),
      );
      return;
    }
    if (!ok) {
      scope.issues.push(
        issue({
          code: 'invariant',
          text: labelled(`Constraint ${constraint.key} not met: ${constraint.description}`, scope),
          expression: path,
        }),
      );
      return;
    }
  }
}
