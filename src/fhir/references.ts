import type { Reference } from '@medplum/fhirtypes';
import { isJsonObject } from './json-object';

/**
 * Every Reference inside a resource: each object, at any depth, whose `reference` is a string
 * (R4 references.html#Reference). The objects themselves are returned, not copies, so a caller
 * that owns the resource may rewrite them in place.
 *
 * A frozen value (frozen to its leaves, as the relay's shared reads are) cannot change: its
 * references are found once and the same frozen list is answered again (issue 12: the relay
 * walked each shared resource of a unit three times per push).
 */
export function referencesIn(value: unknown): readonly Reference[] {
  if (typeof value !== 'object' || value === null || !Object.isFrozen(value)) return collect(value, []);
  let known = OF_FROZEN.get(value);
  if (!known) OF_FROZEN.set(value, (known = Object.freeze(collect(value, [])) as Reference[]));
  return known;
}

const OF_FROZEN = new WeakMap<object, Reference[]>();

function collect(value: unknown, found: Reference[]): Reference[] {
  // Plain loops: the relay walks every resource of every unit it pushes (issue 12).
  if (Array.isArray(value)) {
    for (const v of value) if (typeof v === 'object' && v !== null) collect(v, found);
  } else if (isJsonObject(value)) {
    if (typeof value.reference === 'string') found.push(value as Reference);
    for (const k in value) {
      const v = value[k];
      if (k !== 'reference' && typeof v === 'object' && v !== null) collect(v, found);
    }
  }
  return found;
}
