import type { Reference } from '@medplum/fhirtypes';
import { isJsonObject } from './json-object';

/**
 * Every Reference inside a resource: each object, at any depth, whose `reference` is a string
 * (R4 references.html#Reference). The objects themselves are returned, not copies, so a caller
 * that owns the resource may rewrite them in place.
 */
export function referencesIn(value: unknown, found: Reference[] = []): Reference[] {
  if (Array.isArray(value)) value.forEach((v) => referencesIn(v, found));
  else if (isJsonObject(value)) {
    if (typeof value.reference === 'string') found.push(value as Reference);
    for (const [k, v] of Object.entries(value)) if (k !== 'reference') referencesIn(v, found);
  }
  return found;
}
