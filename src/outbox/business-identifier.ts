import type { Identifier, Reference, Resource } from '@medplum/fhirtypes';
import { CODE_SYSTEM, IDENTIFIER_SYSTEM } from '../fhir/canonical';
import type { BusinessIdentifier } from './delivery-unit';

/**
 * The business identifier a resource is found by on the destination. A Patient is matched on the
 * referrer's own patient id first (DESIGN.md §2), a ServiceRequest on the placer id first (so it
 * lands on the referrer's existing order), everything else on its official identifier.
 */
export function businessIdentifier(resource: Resource): BusinessIdentifier | undefined {
  const ids = ('identifier' in resource ? resource.identifier : undefined) as Identifier[] | undefined;
  const usable = (ids ?? []).filter((i): i is Identifier & BusinessIdentifier => !!i.system && !!i.value);
  const typed = (code: string) =>
    usable.find((i) =>
      i.type?.coding?.some((c) => c.system === CODE_SYSTEM.v2IdentifierType && c.code === code),
    );
  const pick =
    resource.resourceType === 'Patient'
      ? (usable.find((i) => i.system !== IDENTIFIER_SYSTEM.mrn) ?? usable[0])
      : resource.resourceType === 'ServiceRequest'
        ? (typed('PLAC') ?? typed('FILL') ?? usable[0])
        : (usable.find((i) => i.use === 'official') ?? usable[0]);
  return pick ? { system: pick.system, value: pick.value } : undefined;
}

/**
 * A logical reference to `resource` by its business identifier (R4 references.html#logical):
 * what the recipient gets instead of a local id they do not have. For a ServiceRequest that is
 * the placer id, else the filler id (DESIGN.md §2).
 */
export function logicalReferenceTo(resource: Resource): Reference {
  const identifier = businessIdentifier(resource);
  return identifier
    ? { type: resource.resourceType, identifier: { system: identifier.system, value: identifier.value } }
    : { type: resource.resourceType };
}
