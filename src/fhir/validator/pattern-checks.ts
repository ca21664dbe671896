import { deepEquals, deepIncludes } from '@medplum/core';
import { issue } from '../outcomes';
import type { CheckContext } from './context';
import { withProfile } from './context';
import { itemValueRule } from './profile-schema';
import type { Visit } from './walker';

/**
 * fixed[x] / pattern[x] of a repeating profile element, checked on each repetition
 * (https://hl7.org/fhir/R4/profiling.html#slicing: a pattern constrains every value of the
 * element). `@medplum/core` compares the whole array instead, so profile-schema.ts moves these
 * rules here.
 */
export function checkItemValue(visit: Visit, ctx: CheckContext): void {
  const rule = itemValueRule(visit.element);
  if (!rule) return;
  const typed = { type: visit.type, value: visit.value };
  if (rule.pattern && !deepIncludes(typed, rule.pattern)) {
    report(visit, ctx, 'does not match the pattern', rule.pattern.value);
  } else if (rule.fixed && !deepEquals(typed, rule.fixed)) {
    report(visit, ctx, 'is not the fixed value', rule.fixed.value);
  }
}

function report(visit: Visit, ctx: CheckContext, what: string, expected: unknown): void {
  ctx.issues.push(
    issue({
      code: 'value',
      text: withProfile(`The value ${what} ${JSON.stringify(expected)} the profile requires.`, visit.profile),
      expression: visit.path,
    }),
  );
}
