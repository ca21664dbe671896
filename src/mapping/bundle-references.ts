import type { Bundle, Reference, Resource } from '@medplum/fhirtypes';
import { ID_PATTERN, TYPE_PATTERN } from '../fhir/id-pattern';

/**
 * Resolving references between the entries of one Bundle, as R4 §2.36.4.1 "Resolving references
 * in Bundles" says (http://hl7.org/fhir/R4/bundle.html#references): an absolute URL or a `urn:uuid:`
 * / `urn:oid:` is looked up among the entries' `fullUrl`s; a relative `Type/id` is resolved against
 * the base of the referring entry's RESTful `fullUrl` first, and — for entries sent without a
 * `fullUrl` — against the entries' own `resourceType` and `id`.
 */

/** An entry found by reference: its index in `Bundle.entry` and its resource. */
export interface ResolvedEntry<T extends Resource = Resource> {
  index: number;
  resource: T;
}

const HISTORY = `(?:/_history/${ID_PATTERN})?`;
const RELATIVE = new RegExp(`^(${TYPE_PATTERN})/(${ID_PATTERN})${HISTORY}$`);
// A RESTful fullUrl: [base]/[type]/[id] (http://hl7.org/fhir/R4/http.html#general).
const RESTFUL = new RegExp(`^(.*)/(${TYPE_PATTERN})/(${ID_PATTERN})${HISTORY}$`);

/** The entry `ref` points at, from the entry at `fromIndex`; undefined when nothing matches. */
export function resolveInBundle(
  bundle: Bundle,
  ref: Reference | undefined,
  fromIndex: number,
): ResolvedEntry | undefined {
  const target = ref?.reference;
  if (!target) return undefined;
  const entries = bundle.entry ?? [];
  const byFullUrl = (url: string): ResolvedEntry | undefined => {
    const index = entries.findIndex((e) => e.fullUrl === url && e.resource);
    const resource = entries[index]?.resource;
    return resource ? { index, resource } : undefined;
  };
  const relative = RELATIVE.exec(target);
  if (!relative) return byFullUrl(target);
  const [, type, id] = relative as unknown as [string, string, string];
  const base = RESTFUL.exec(entries[fromIndex]?.fullUrl ?? '')?.[1];
  const viaBase = base ? byFullUrl(`${base}/${type}/${id}`) : undefined;
  if (viaBase) return viaBase;
  const index = entries.findIndex((e) => e.resource?.resourceType === type && e.resource.id === id);
  const resource = entries[index]?.resource;
  return resource ? { index, resource } : undefined;
}

/** FHIRPath of an entry's resource, the prefix of every expression about it. */
export function entryPath(index: number): string {
  return `Bundle.entry[${index}].resource`;
}
