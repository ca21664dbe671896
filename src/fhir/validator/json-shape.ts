import { issue } from '../outcomes';
import type { CheckContext } from './context';
import { withProfile } from './context';
import type { Visit } from './walker';

function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  return value === null ? 'null' : typeof value;
}

/**
 * A primitive is a JSON string, number or boolean and a complex value a JSON object
 * (https://hl7.org/fhir/R4/json.html). Returns false, after reporting it, when the value has the
 * wrong shape, so that checks of its content are skipped.
 */
export function checkJsonShape(visit: Visit, primitive: boolean, ctx: CheckContext): boolean {
  const kind = jsonKind(visit.value);
  const ok = primitive ? kind !== 'object' && kind !== 'array' : kind === 'object';
  if (ok) return true;
  const wanted = primitive
    ? `a JSON string, number or boolean (${visit.type})`
    : `a JSON object (${visit.type})`;
  ctx.issues.push(
    issue({
      code: 'structure',
      text: withProfile(`Invalid JSON type: expected ${wanted}, but got ${kind}`, visit.profile),
      expression: visit.path,
    }),
  );
  return false;
}
