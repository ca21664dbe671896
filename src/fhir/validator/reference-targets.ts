import type { InternalSchemaElement, TypedValue } from '@medplum/core';
import { issue } from '../outcomes';
import type { StructureScope } from './structure-scope';
import { labelled } from './structure-scope';

const HL7_SD = 'http://hl7.org/fhir/StructureDefinition/';
const MEDPLUM_SD = 'https://medplum.com/fhir/StructureDefinition/';

/** The resource type a literal or conditional reference names (`Patient/1`, `Patient?x=y`). */
function referencedType(reference: string): string | undefined {
  return (reference.includes('?') ? reference.split('?')[0] : reference.split('/')[0]) || undefined;
}

/**
 * Reference.reference against the element's target profiles
 * (https://hl7.org/fhir/R4/references.html): a warning, as `@medplum/core` 4.5 reports it (DESIGN.md
 * §4); targets named by other profiles (US Core, ...) cannot be checked without the resource.
 */
export function checkReferenceTarget(
  value: TypedValue,
  element: InternalSchemaElement,
  path: string,
  scope: StructureScope,
): void {
  if (value.type !== 'Reference') return;
  const ref = (value.value as { reference?: unknown } | undefined)?.reference;
  if (typeof ref !== 'string' || ref.startsWith('#')) return;
  const type = referencedType(ref);
  const targets = element.type.find((t) => t.code === 'Reference')?.targetProfile;
  if (!type || !targets) return;
  for (const target of targets) {
    if (target === `${HL7_SD}Resource` || target === `${HL7_SD}${type}` || target === `${MEDPLUM_SD}${type}`)
      return;
    if (!target.startsWith(HL7_SD) && !target.startsWith(MEDPLUM_SD)) return;
  }
  scope.issues.push(
    issue({
      severity: 'warning',
      code: 'structure',
      text: labelled(`Invalid reference: got "${type}", expected "${targets.join('", "')}"`, scope),
      expression: path,
    }),
  );
}
