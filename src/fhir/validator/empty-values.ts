import { issue } from '../outcomes';
import type { CheckContext } from './context';
import type { ObjectWalk } from './walker';
import { isJsonObject } from '../json-object';

const EMPTY = 'Arrays and objects are never empty in FHIR JSON (R4 json.html)';

/**
 * Empty values where the element walk does not see them: a primitive's `_x` twin (`"_active": {}`,
 * `"_given": []`, `"_given": [{}]`) at any depth. https://hl7.org/fhir/R4/json.html: a `_x` object
 * carries an id or extensions, and arrays and objects are never empty (ele-1).
 */
export function checkEmptyTwins(walk: ObjectWalk, ctx: CheckContext): void {
  const { obj } = walk;
  for (const key in obj) {
    if (key.charCodeAt(0) !== 95 /* _ */) continue;
    const value = obj[key];
    const path = `${walk.path}.${key}`;
    if (Array.isArray(value)) {
      if (value.length === 0) report(path, ctx);
      value.forEach((item, i) => {
        if (isJsonObject(item) && Object.keys(item).length === 0) report(`${path}[${i}]`, ctx);
      });
    } else if (isJsonObject(value) && Object.keys(value).length === 0) {
      report(path, ctx);
    }
  }
}

function report(path: string, ctx: CheckContext): void {
  ctx.issues.push(issue({ code: 'structure', text: EMPTY, expression: path }));
}

/** `""` is no value: a primitive has a value or is absent (https://hl7.org/fhir/R4/json.html#primitive). */
export function checkEmptyString(value: string, path: string, ctx: CheckContext): void {
  if (value !== '') return;
  ctx.issues.push(
    issue({
      code: 'structure',
      text: 'Empty strings are not valid in FHIR: leave the element out instead (R4 json.html).',
      expression: path,
    }),
  );
}
