import type { OperationOutcome, Resource } from '@medplum/fhirtypes';
import type { ResourceValidator } from './ports/validator-port';

/**
 * Ingest validates every mapped resource before it is stored (DESIGN.md §4), and most of them
 * are the same from one record to the next: the referring clinician, their role, the
 * organisations, the client's Patient again with their consent. Validation is a pure function
 * of the resource (no clock, no store), so a verdict is remembered by the resource's JSON text —
 * the very text the store keeps — and a resource whose text was already judged is not walked
 * again: what gets stored is byte for byte what was judged. A changed resource has another text
 * and is validated; an invalid one is remembered as invalid. The oldest verdict goes first
 * (first in, first out: moving each hit to the back cost more than the rare second walk of a
 * resource still in use). (The relay has the same idea for delivery units: `deliver/remembered-outcomes.ts`.)
 */
export interface RememberOptions {
  /** Verdicts kept at most. */
  capacity?: number;
  /** Longer texts are validated without being kept: the memory stays within capacity × maxChars. */
  maxChars?: number;
  /**
   * The resources worth remembering (default: all but Bundles). Building the text of a resource
   * that never comes back (a record's own ServiceRequest, Consent, Communication) costs without
   * ever saving a walk.
   */
  remembers?: (resource: Resource) => boolean;
}

export function rememberValidation(
  validator: ResourceValidator,
  opts: RememberOptions = {},
): ResourceValidator {
  const { capacity = 1024, maxChars = 16_384 } = opts;
  const remembers = opts.remembers ?? ((r: Resource) => r.resourceType !== 'Bundle');
  const remembered = new Map<string, OperationOutcome>();
  return {
    validate(resource) {
      if (!remembers(resource)) return validator.validate(resource);
      const key = JSON.stringify(resource);
      if (key.length > maxChars) return validator.validate(resource);
      const hit = remembered.get(key);
      if (hit) return hit;
      const verdict = validator.validate(resource);
      remembered.set(key, verdict);
      if (remembered.size > capacity) remembered.delete(remembered.keys().next().value as string);
      return verdict;
    },
  };
}
