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
 * Reference.reference against the element's target profiles (https://hl7.org/fhir/R4/references.html:
 * the referenced resource SHALL be of one of the target types). A target profile names its type:
 * R4's own by URL, a loaded profile (US Core, ...) by its StructureDefinition's `type`. A target
 * that is not loaded cannot be judged, so the reference passes. `@medplum/core` 4.5 only warns
 * (DESIGN.md §4); like the HL7 validator, a type that no target allows is an error here.
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
  if (!type || !targets || !/^[A-Z][A-Za-z]+$/.test(type)) return;
  const allowed: string[] = [];
  for (const target of targets) {
    const targetType =
      target.startsWith(HL7_SD) || target.startsWith(MEDPLUM_SD)
        ? target.slice(target.lastIndexOf('/') + 1)
        : scope.profileType?.(target);
    if (targetType === undefined || targetType === 'Resource' || targetType === type) return;
    allowed.push(targetType);
  }
  scope.issues.push(
    issue({
      code: 'structure',
      text: labelled(
        `The type '${type}' of the reference ${ref} is not a valid target for this element (must be one of ${allowed.join(', ')})`,
        scope,
      ),
      expression: path,
    }),
  );
}
