import type { Coding } from '@medplum/fhirtypes';
import { isJsonObject } from '../json-object';
import { issue } from '../outcomes';
import type { CheckContext } from './context';
import { withProfile } from './context';
import type { Expansion } from './terminology';
import type { ObjectWalk, Visit } from './walker';
import { findElement } from './walker';

/**
 * Required bindings (https://hl7.org/fhir/R4/terminologies.html#required): the code SHALL come
 * from the value set. `@medplum/core` 4.5 does not check them. Value sets that cannot be
 * expanded offline (filters, external code systems such as SNOMED CT or BCP-47) are skipped.
 */
function requiredExpansion(
  visit: Visit,
  ctx: CheckContext,
  strengths: ReadonlySet<string> = REQUIRED,
): { url: string; expansion: Expansion; required: boolean } | undefined {
  const binding = visit.element.binding;
  if (!binding?.strength || !strengths.has(binding.strength) || !binding.valueSet) return undefined;
  const expansion = ctx.terminology.expand(binding.valueSet);
  return expansion
    ? { url: binding.valueSet, expansion, required: binding.strength === 'required' }
    : undefined;
}

const REQUIRED: ReadonlySet<string> = new Set(['required']);
const REQUIRED_OR_EXTENSIBLE: ReadonlySet<string> = new Set(['required', 'extensible']);

/** An object where a Coding is bound; its own shape is the structure checks' finding, not this one's. */
function isCoding(v: unknown): v is Coding {
  return isJsonObject(v);
}

function codingMatches(c: Coding, expansion: Expansion): boolean {
  if (typeof c.code !== 'string') return false;
  return c.system ? expansion.pairs.has(`${c.system}|${c.code}`) : expansion.codes.has(c.code);
}

function report(visit: Visit, ctx: CheckContext, shown: string, url: string): void {
  ctx.issues.push(
    issue({
      code: 'code-invalid',
      text: withProfile(
        `The value ${shown} is not in the value set ${url}, and a code from it is required.`,
        visit.profile,
      ),
      expression: visit.path,
    }),
  );
}

/** A `code` primitive under a required binding. */
export function checkCode(visit: Visit, ctx: CheckContext): void {
  if (typeof visit.value !== 'string') return;
  const found = requiredExpansion(visit, ctx);
  if (found && !found.expansion.codes.has(visit.value)) report(visit, ctx, `'${visit.value}'`, found.url);
}

const QUANTITY_TYPES = new Set([
  'Quantity',
  'Age',
  'Count',
  'Distance',
  'Duration',
  'MoneyQuantity',
  'SimpleQuantity',
]);

/**
 * A Coding, CodeableConcept or Quantity under a required binding: at least one coding must match
 * (an extensible binding: a warning when none does).
 */
export function checkCoded(visit: Visit, ctx: CheckContext): void {
  const quantity = QUANTITY_TYPES.has(visit.type);
  if (visit.type !== 'Coding' && visit.type !== 'CodeableConcept' && !quantity) return;
  const found = requiredExpansion(visit, ctx, REQUIRED_OR_EXTENSIBLE);
  const value = visit.value;
  if (!found || !isCoding(value)) return;
  const nested = (value as { coding?: unknown }).coding;
  // A Quantity's unit is coded by its `system` and `code`, and a binding on it applies to them
  // (https://hl7.org/fhir/R4/datatypes.html#Quantity, e.g. age-units on an Age).
  const codings: unknown[] =
    visit.type === 'Coding' || quantity ? [value] : Array.isArray(nested) ? nested : [];
  const withCodes = codings.filter(isCoding).filter((c) => typeof c.code === 'string');
  // A CodeableConcept with text only carries no code to check.
  if (withCodes.length === 0) return;
  if (withCodes.some((c) => codingMatches(c, found.expansion))) return;
  const shown = withCodes.map((c) => `'${c.system ?? ''}#${c.code}'`).join(', ');
  if (found.required) report(visit, ctx, shown, found.url);
  else reportExtensible(visit, ctx, shown, found.url);
}

/**
 * Extensible bindings (https://hl7.org/fhir/R4/terminologies.html#extensible): a code from the
 * value set SHALL be used when one fits; another code is allowed when none does, which only a
 * person can judge, so a code outside the value set is a warning, as the HL7 validator reports it.
 */
function reportExtensible(visit: Visit, ctx: CheckContext, shown: string, url: string): void {
  ctx.issues.push(
    issue({
      severity: 'warning',
      code: 'code-invalid',
      text: withProfile(
        `None of the codes provided (${shown}) are in the value set ${url}, and a code from it should be used unless it has no suitable code.`,
        visit.profile,
      ),
      expression: visit.path,
    }),
  );
}

const BINDABLE_PRIMITIVES = new Set(['code', 'uri', 'string']);

/**
 * A coded primitive under a required binding that has no value, only extensions (`_status`
 * without `status`, e.g. a data-absent-reason): a required binding means the code SHALL come
 * from the value set (https://hl7.org/fhir/R4/terminologies.html#required), and no code is not
 * one of its codes. The HL7 validator says the same ("No code provided, and a code is required
 * from the value set") when it knows the value set, expandable or not.
 */
export function checkValuelessCodes(walk: ObjectWalk, ctx: CheckContext): void {
  const { obj } = walk;
  for (const key in obj) {
    if (!key.startsWith('_')) continue;
    const name = key.slice(1);
    const found = findElement(walk.schema, name);
    const binding = found?.element.binding;
    if (!found || !BINDABLE_PRIMITIVES.has(found.type) || binding?.strength !== 'required') continue;
    if (!binding.valueSet || !ctx.terminology.hasValueSet(binding.valueSet)) continue;
    const values = obj[name];
    const twins = obj[key];
    const missing = Array.isArray(twins)
      ? twins.flatMap((t, i) =>
          t !== null && (!Array.isArray(values) || values[i] === null || values[i] === undefined)
            ? [`${walk.path}.${name}[${i}]`]
            : [],
        )
      : values === undefined || values === null
        ? [`${walk.path}.${name}`]
        : [];
    for (const path of missing) {
      ctx.issues.push(
        issue({
          code: 'code-invalid',
          text: withProfile(
            `No code provided, and a code is required from the value set ${binding.valueSet}.`,
            walk.profile,
          ),
          expression: path,
        }),
      );
    }
  }
}
