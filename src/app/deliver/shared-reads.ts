import type { StoredResource, StoreOps } from '../ports/store-port';

/**
 * The supporting resources (Patient, Practitioner, Organization…) that the units of one lease
 * batch reference, read once for the whole batch (issue 12: every row read and parsed the same
 * six from the store). They travel only to resolve references, with conditional create — the
 * destination keeps its copy when it has one — so the rows leased together carrying the version
 * read when the first of them needed it is what a relay that had worked them a moment earlier
 * would have sent; the next lease reads them again. Consents, the row's own resource and the
 * ServiceRequests a decision depends on are never read through here: they are read again for
 * every attempt (DESIGN.md §5).
 *
 * What it hands out is shared by the batch's units, so it is frozen: nothing may change it in
 * place (the unit copies a resource before making a reference logical, the gateway copies what
 * it sends).
 */
export interface SharedReads {
  /** The latest stored version of a supporting resource, or null. */
  latest(resourceType: string, id: string): Promise<StoredResource | null>;
}

export function shareReads(store: Pick<StoreOps, 'getResource'>): SharedReads {
  const read = new Map<string, Promise<StoredResource | null>>();
  return {
    latest(resourceType, id) {
      const key = `${resourceType}/${id}`;
      let found = read.get(key);
      if (!found) {
        found = store.getResource(resourceType, id).then((stored) => stored && deepFreeze(stored));
        // A failed read is not kept: the next unit that needs it reads again.
        found.catch(() => read.delete(key));
        read.set(key, found);
      }
      return found;
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
