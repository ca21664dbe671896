import type { Reference } from '@medplum/fhirtypes';
import { isJsonObject } from './json-object';

/**
 * Every Reference inside a resource: each object, at any depth, whose `reference` is a string
 * (R4 references.html#Reference). The objects themselves are returned, not copies, so a caller
 * that owns the resource may rewrite them in place.
 */
export function referencesIn(value: unknown, found: Reference[] = []): Reference[] {
  // Plain loops: the relay walks every resource of every unit it pushes (issue 12).
  if (Array.isArray(value)) {
    for (const v of value) if (typeof v === 'object' && v !== null) referencesIn(v, found);
  } else if (isJsonObject(value)) {
    if (typeof value.reference === 'string') found.push(value as Reference);
    for (const k in value) {
      const v = value[k];
      if (k !== 'reference' && typeof v === 'object' && v !== null) referencesIn(v, found);
    }
  }
  return found;
}
