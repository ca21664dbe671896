import type { Resource } from '@medplum/fhirtypes';
import { referencesIn } from '../../fhir/references';
import { businessIdentifier, logicalReferenceTo } from '../../outbox/business-identifier';
import type { StoreOps } from '../ports/store-port';
import type { SharedReads } from './shared-reads';
import { UndeliverableItemError } from '../../outbox/thrown-attempt';
import type { DeliveryUnit, UnitEntry } from '../../outbox/delivery-unit';
import { ID_PATTERN, TYPE_PATTERN } from '../../fhir/id-pattern';

/**
 * Builds the delivery unit of one outbox item (DESIGN.md §2 "What crosses to the clinician"):
 * the main resource first, then — only as needed to resolve its references — the Patient,
 * Practitioner(Role), Organization and RelatedPerson it points at, each sent with conditional
 * create on its business identifier (the gateway turns them into `must-exist` look-ups for
 * destinations that refuse outside creates). Any other reference that would dangle on the
 * destination (a ServiceRequest or Consent that is not part of this push) becomes a logical
 * reference by identifier (R4 references.html#logical), so nothing points at a local id.
 */

/** Types sent only to resolve references, never on their own. */
const SUPPORTING = new Set(['Patient', 'Practitioner', 'PractitionerRole', 'Organization', 'RelatedPerson']);

/** A unit entry before the unit is built: its business identifier is read from the resource then. */
export type UnitEntryDraft = Pick<UnitEntry, 'resource' | 'method'>;

/** A unit and the versioned references of what it carries (for the AuditEvent). */
export interface BuiltUnit {
  unit: DeliveryUnit;
  /** `Type/id/_history/v` (or `Type/id` when unversioned) of every resource in the unit. */
  references: string[];
}

const LOCAL_REFERENCE = new RegExp(`^(${TYPE_PATTERN})/(${ID_PATTERN})$`);

/** `Type/id` of a literal relative reference, or undefined for anything else. */
function localTarget(reference: string | undefined): { type: string; id: string } | undefined {
  const m = reference ? LOCAL_REFERENCE.exec(reference) : null;
  return m?.[1] && m[2] ? { type: m[1], id: m[2] } : undefined;
}

function versioned(r: Resource): string {
  const v = r.meta?.versionId;
  return `${r.resourceType}/${r.id ?? ''}${v ? `/_history/${v}` : ''}`;
}

/**
 * Builds the unit from the main entries (the item, and e.g. the ServiceRequest a Communication is
 * based on) by pulling every supporting resource they reference, recursively, from the store
 * (latest version, read once per lease batch: `reads`). Throws {@link UndeliverableItemError} when an entry has no business identifier
 * (a mapping bug, or a broken stored resource).
 */
export async function buildDeliveryUnit(
  store: StoreOps,
  reads: SharedReads,
  mains: UnitEntryDraft[],
): Promise<BuiltUnit> {
  // The resources are used as read (nothing here changes them in place; a resource whose
  // references must turn logical is copied first): issue 12, a copy of each per row showed.
  const entries: UnitEntryDraft[] = [...mains];
  const present = new Set(entries.map((e) => `${e.resource.resourceType}/${e.resource.id ?? ''}`));
  for (let i = 0; i < entries.length; i++) {
    for (const ref of referencesIn(entries[i]?.resource)) {
      const target = localTarget(ref.reference);
      if (!target || !SUPPORTING.has(target.type) || present.has(ref.reference ?? '')) continue;
      const stored = await reads.latest(target.type, target.id);
      if (!stored || !businessIdentifier(stored.resource)) continue;
      present.add(`${target.type}/${target.id}`);
      entries.push({ resource: stored.resource, method: 'conditional-create' });
    }
  }
  for (const e of entries) e.resource = await withDanglingLogical(store, e.resource, present);
  const unit: UnitEntry[] = entries.map((e) => {
    const identifier = businessIdentifier(e.resource);
    if (!identifier)
      throw new UndeliverableItemError(`${e.resource.resourceType} has no business identifier to deliver by`);
    return { resource: e.resource, method: e.method, identifier };
  });
  return { unit, references: entries.map((e) => versioned(e.resource)) };
}

/** Whether `reference` is literal and points at something that is not in the unit. */
function dangles(reference: string | undefined, present: ReadonlySet<string>): boolean {
  const target = localTarget(reference);
  return !!target && !present.has(`${target.type}/${target.id}`);
}

/**
 * A literal reference to something that is not in the unit would point at a local id the
 * destination does not have (a ServiceRequest's `supportingInfo` → its Consent, sent in its own
 * unit): it becomes `{ type, identifier }` (plus its display), in a copy of the resource (the
 * resource itself is returned when nothing dangles). This is no consent decision: what a
 * Communication's `basedOn` shows is decided before the unit is built (`based-on.ts`), and it
 * arrives here either logical already or with its ServiceRequest in the unit.
 */
async function withDanglingLogical(
  store: StoreOps,
  resource: Resource,
  present: ReadonlySet<string>,
): Promise<Resource> {
  if (!referencesIn(resource).some((ref) => dangles(ref.reference, present))) return resource;
  const copy = structuredClone(resource);
  for (const ref of referencesIn(copy)) {
    if (!dangles(ref.reference, present)) continue;
    const target = localTarget(ref.reference) as { type: string; id: string };
    const stored = await store.getResource(target.type, target.id);
    const logical = stored ? logicalReferenceTo(stored.resource) : { type: target.type };
    const mutable = ref as Record<string, unknown>;
    delete mutable.reference;
    Object.assign(mutable, logical);
  }
  return copy;
}
