import type { OperationOutcome } from '@medplum/fhirtypes';
import type { ResourceValidator } from './ports/validator-port';

/**
 * Ingest validates every mapped resource before it is stored (DESIGN.md §4), and most of them
 * are the same from one record to the next: the referring clinician, their role, the
 * organisations, the client's Patient again with their consent. Validation is a pure function
 * of the resource (no clock, no store), so a verdict is remembered by the resource's JSON text —
 * the very text the store keeps — and a resource whose text was already judged is not walked
 * again: what gets stored is byte for byte what was judged. A changed resource has another text
 * and is validated; an invalid one is remembered as invalid. Whole Bundles (inbound `POST /fhir`)
 * are large and never repeat: they, and any text over `maxChars`, are validated without being
 * remembered, so the memory stays bounded (`capacity` × `maxChars`). The least recently used verdict goes first.
 * (The relay has the same idea for delivery units: `deliver/remembered-outcomes.ts`.)
 */
export function rememberValidation(
  validator: ResourceValidator,
  capacity = 1024,
  maxChars = 16_384,
): ResourceValidator {
  const remembered = new Map<string, OperationOutcome>();
  return {
    validate(resource) {
      if (resource.resourceType === 'Bundle') return validator.validate(resource);
      const key = JSON.stringify(resource);
      if (key.length > maxChars) return validator.validate(resource);
      const hit = remembered.get(key);
      if (hit) {
        remembered.delete(key);
        remembered.set(key, hit);
        return hit;
      }
      const verdict = validator.validate(resource);
      remembered.set(key, verdict);
      if (remembered.size > capacity) remembered.delete(remembered.keys().next().value as string);
      return verdict;
    },
  };
}
