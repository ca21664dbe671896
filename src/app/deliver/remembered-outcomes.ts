import type { OperationOutcome } from '@medplum/fhirtypes';
import type { ResourceValidator } from '../ports/validator-port';

/**
 * The relay validates every unit it pushes (DESIGN.md §6), and most of a unit is the same from
 * one row to the next: the client's Patient, the clinician, the organisations. Validation is a
 * pure function of the resource, so an outcome is remembered by the resource's JSON text and the
 * unchanged resources are not walked again (issue 12: validation was the relay's largest CPU
 * cost per row). Bounded: the least recently used outcome goes first.
 */
export function rememberOutcomes(validator: ResourceValidator, capacity = 512): ResourceValidator {
  const remembered = new Map<string, OperationOutcome>();
  return {
    validate(resource) {
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
    },
  };
}
