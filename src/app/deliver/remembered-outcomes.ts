import type { OperationOutcome, Resource } from '@medplum/fhirtypes';
import type { ResourceValidator } from '../ports/validator-port';

/**
 * The relay validates every unit it pushes (DESIGN.md §6), and most of a unit is the same from
 * one row to the next: the client's Patient, the clinician, the organisations. Validation is a
 * pure function of the resource, so an outcome is remembered by the resource's JSON text and the
 * unchanged resources are not walked again (issue 12: validation was the relay's largest CPU
 * cost per row). Bounded: the least recently used outcome goes first.
 *
 * A frozen resource (what the rows of one lease share, shared-reads.ts, is frozen to its leaves)
 * cannot change, so its outcome is also kept by identity: the same object is not even written out
 * again as a key. Unbounded, but weak: it goes with the object.
 */
export function rememberOutcomes(validator: ResourceValidator, capacity = 512): ResourceValidator {
  const remembered = new Map<string, OperationOutcome>();
  const frozen = new WeakMap<Resource, OperationOutcome>();

  const byContent = (resource: Resource): OperationOutcome => {
    const key = JSON.stringify(resource);
    const hit = remembered.get(key);
    if (hit) {
      remembered.delete(key);
      remembered.set(key, hit);
      return hit;
    }
    const outcome = validator.validate(resource);
    remembered.set(key, outcome);
    if (remembered.size > capacity) remembered.delete(remembered.keys().next().value as string);
    return outcome;
  };

  return {
    validate(resource) {
      const known = frozen.get(resource);
      if (known) return known;
      const outcome = byContent(resource);
      if (Object.isFrozen(resource)) frozen.set(resource, outcome);
      return outcome;
    },
  };
}
