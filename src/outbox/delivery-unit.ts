import type { Resource } from '@medplum/fhirtypes';
import { referencesIn } from '../fhir/references';
import type { DeliveryFailure } from './delivery-failure';

/**
 * A delivery unit: what one push sends to one destination — the main resource (first) and the
 * resources it references (Patient, Practitioner, Organization…), each with the deterministic
 * business identifier that makes the push effectively-once (DESIGN.md §6).
 */

/** conditional-create: never changes once sent; conditional-update: the practice's own, may
 * change; must-exist: find by identifier and reference, never create (DESIGN.md §2). */
export type DeliveryMethod = 'conditional-create' | 'conditional-update' | 'must-exist';

/** A destination's policy for referenced Patients, Practitioners…: create them or only find them. */
export type ReferencedResourcesPolicy = 'create-if-missing' | 'must-exist';

export interface BusinessIdentifier {
  system: string;
  value: string;
}

/**
 * One entry of a delivery unit: a resource, how it is written and the business identifier it is
 * written by. ("Item" is an outbox row, not an entry of its unit.)
 */
export interface UnitEntry {
  /** Other entries refer to it as `Type/id` (its local id) or by `fullUrl`. */
  resource: Resource;
  method: DeliveryMethod;
  identifier: BusinessIdentifier;
  /** Optional local full URL (e.g. `urn:uuid:…` from a mapped Bundle) other entries may use. */
  fullUrl?: string;
}

/** Ordered: the first entry is the main resource; the rest are what it references. */
export type DeliveryUnit = readonly UnitEntry[];

/** What happened to one entry. `already-there`: a conditional create matched (HTTP 200). */
export type EntryOutcome = 'created' | 'already-there' | 'updated' | 'found';

export interface DeliveredLocation {
  resourceType: string;
  identifier: BusinessIdentifier;
  /** `Type/id` on the destination. */
  reference: string;
  /** As the destination returned it (may carry `_history/vid`). */
  location?: string;
  outcome: EntryOutcome;
}

/**
 * The result of one push. `alreadyThere`: the main resource's conditional create answered 200,
 * so an earlier attempt had committed (its response was lost) — the disclosure log counts that
 * earlier attempt as the delivery (DESIGN.md §2). `httpStatus`: the status of the destination's
 * last response (the transaction's, or the last per-resource write or search of `conditional`).
 */
export type PushResult =
  | { kind: 'delivered'; alreadyThere: boolean; locations: DeliveredLocation[]; httpStatus?: number }
  | DeliveryFailure;

/** Resource types that may be referenced instead of created (`referencedResources`). */
const REFERENCEABLE = new Set([
  'Patient',
  'Practitioner',
  'PractitionerRole',
  'Organization',
  'RelatedPerson',
]);

/** The method actually used for an entry under the destination's policy. */
export function effectiveMethod(
  entry: UnitEntry,
  index: number,
  dest: { referencedResources: ReferencedResourcesPolicy },
): DeliveryMethod {
  if (entry.method === 'must-exist') return 'must-exist';
  const referenced = index > 0 && REFERENCEABLE.has(entry.resource.resourceType);
  return referenced && dest.referencedResources === 'must-exist' ? 'must-exist' : entry.method;
}

/** The keys other entries may use to refer to this one. */
export function localKeys(entry: UnitEntry): string[] {
  const keys: string[] = [];
  if (entry.resource.id) keys.push(`${entry.resource.resourceType}/${entry.resource.id}`);
  if (entry.fullUrl) keys.push(entry.fullUrl);
  return keys;
}

/** FHIR search escaping (R4 search.html#escaping) of `\`, `|`, `,` and `$`. */
function escapeSearchValue(v: string): string {
  return v.replace(/[\\|,$]/g, (c) => `\\${c}`);
}

/** `identifier=system|value`, escaped and URL-encoded, for searches and `ifNoneExist`. */
export function identifierQuery(id: BusinessIdentifier): string {
  return `identifier=${encodeURIComponent(`${escapeSearchValue(id.system)}|${escapeSearchValue(id.value)}`)}`;
}

/** A deep copy of `value` with every `reference` found in `map` replaced. */
function rewriteReferences<T>(value: T, map: ReadonlyMap<string, string>): T {
  if (Array.isArray(value)) return value.map((v: unknown) => rewriteReferences(v, map)) as T;
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  const from = value as Record<string, unknown>;
  for (const k in from) {
    const v = from[k];
    out[k] = k === 'reference' && typeof v === 'string' ? (map.get(v) ?? v) : rewriteReferences(v, map);
  }
  return out as T;
}

/**
 * Entry indexes in dependency order: an entry comes after every entry it references, so each
 * reference can be rewritten to an id the destination has already assigned. A cycle is a bug.
 */
export function dependencyOrder(unit: DeliveryUnit): number[] {
  const owner = new Map<string, number>();
  unit.forEach((entry, i) => localKeys(entry).forEach((k) => owner.set(k, i)));
  const deps = unit.map((entry, i) => {
    const refs = referencesIn(entry.resource).map((r) => owner.get(r.reference ?? ''));
    return new Set(refs.filter((j): j is number => j !== undefined && j !== i));
  });
  const order: number[] = [];
  const placed = new Set<number>();
  while (order.length < unit.length) {
    const next = unit.findIndex((_, i) => !placed.has(i) && [...(deps[i] ?? [])].every((j) => placed.has(j)));
    if (next < 0) throw new Error('delivery unit has a reference cycle');
    order.push(next);
    placed.add(next);
  }
  return order;
}

/**
 * The resource as sent: a copy with no local id, no server-owned meta (versionId, lastUpdated),
 * and every `reference` found in `references` replaced (one copy: issue 12, the relay copied each
 * resource twice per push).
 */
export function prepareForSend(
  resource: Resource,
  references: ReadonlyMap<string, string> = new Map(),
): Resource {
  const copy = rewriteReferences(resource, references) as Resource & { id?: string };
  delete copy.id;
  if (copy.meta) {
    const { versionId: _v, lastUpdated: _l, ...rest } = copy.meta;
    if (Object.keys(rest).length > 0) copy.meta = rest;
    else delete copy.meta;
  }
  return copy;
}

/** Throws for a malformed unit: that is a bug in the caller, not an expected outcome. */
export function assertUnit(unit: DeliveryUnit): void {
  if (unit.length === 0) throw new Error('empty delivery unit');
  unit.forEach((item, i) => {
    if (!item.resource?.resourceType) throw new Error(`delivery unit item ${i} has no resourceType`);
    if (!item.identifier?.system || !item.identifier.value) {
      throw new Error(`delivery unit item ${i} (${item.resource.resourceType}) has no business identifier`);
    }
  });
}
