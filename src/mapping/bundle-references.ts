import type { Bundle, BundleEntry, Reference, Resource } from '@medplum/fhirtypes';
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
  const index = indexOf(entries);
  const found = (i: number): ResolvedEntry | undefined => {
    const resource = entries[i]?.resource;
    return resource ? { index: i, resource } : undefined;
  };
  const byFullUrl = (url: string): ResolvedEntry | undefined =>
    found(firstOf(index.byFullUrl.get(url), entries, (e) => e.fullUrl === url && !!e.resource));
  const relative = RELATIVE.exec(target);
  if (!relative) return byFullUrl(target);
  const [, type, id] = relative as unknown as [string, string, string];
  const base = RESTFUL.exec(entries[fromIndex]?.fullUrl ?? '')?.[1];
  const viaBase = base ? byFullUrl(`${base}/${type}/${id}`) : undefined;
  if (viaBase) return viaBase;
  const same = (e: BundleEntry) => e.resource?.resourceType === type && e.resource.id === id;
  return found(firstOf(index.byTypeAndId.get(typeAndId(type, id)), entries, same));
}

/**
 * The first entry with each fullUrl (holding a resource) and with each type and id, so that
 * resolving a reference is a lookup rather than a scan of every entry: a Bundle of n referrals
 * resolves a few references per referral, which scanning made quadratic (issue 12: a 700-referral
 * batch). Built once per entry list; an inbound Bundle is a parsed request body that nothing
 * changes while it is read, and the list's length is checked all the same.
 */
interface EntryIndex {
  length: number;
  byFullUrl: Map<string, number>;
  byTypeAndId: Map<string, number>;
}

const indexes = new WeakMap<BundleEntry[], EntryIndex>();

function typeAndId(type: string, id: string): string {
  return `${type}\u0000${id}`;
}

function indexOf(entries: BundleEntry[]): EntryIndex {
  const known = indexes.get(entries);
  if (known && known.length === entries.length) return known;
  const index: EntryIndex = { length: entries.length, byFullUrl: new Map(), byTypeAndId: new Map() };
  entries.forEach((e, i) => {
    const resource = e?.resource;
    if (!resource) return;
    if (typeof e.fullUrl === 'string' && !index.byFullUrl.has(e.fullUrl)) index.byFullUrl.set(e.fullUrl, i);
    const { resourceType, id } = resource as { resourceType?: unknown; id?: unknown };
    if (typeof resourceType !== 'string' || typeof id !== 'string') return;
    const key = typeAndId(resourceType, id);
    if (!index.byTypeAndId.has(key)) index.byTypeAndId.set(key, i);
  });
  indexes.set(entries, index);
  return index;
}

/** The indexed entry when it (still) matches, else the first match of a scan, else -1. */
function firstOf(
  i: number | undefined,
  entries: BundleEntry[],
  matches: (e: BundleEntry) => boolean,
): number {
  const e = i === undefined ? undefined : entries[i];
  if (i !== undefined && e && matches(e)) return i;
  return entries.findIndex((x) => !!x && matches(x));
}

/** FHIRPath of an entry's resource, the prefix of every expression about it. */
export function entryPath(index: number): string {
  return `Bundle.entry[${index}].resource`;
}
