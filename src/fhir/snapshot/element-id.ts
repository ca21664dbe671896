/**
 * Element ids of ElementDefinitions (FHIR R4 §2.21.0.1 "Element Identifiers"): dot-separated
 * segments, each a path name optionally followed by `:sliceName` (re-slices as `:a/b`).
 */

/** One segment of an element id: `identifier:mrn` → name `identifier`, slice `mrn`. */
export interface IdSegment {
  readonly name: string;
  readonly slice?: string;
}

/** Splits an element id into its segments. Slice names never contain dots in R4 ids. */
export function parseElementId(id: string): IdSegment[] {
  return id.split('.').map((part) => {
    const colon = part.indexOf(':');
    return colon < 0 ? { name: part } : { name: part.slice(0, colon), slice: part.slice(colon + 1) };
  });
}

/** Whether `id` is `ancestorId` itself or lies inside it (its children, their slices, …). */
export function isWithin(id: string, ancestorId: string): boolean {
  return id === ancestorId || id.startsWith(`${ancestorId}.`);
}

/**
 * Whether `id` belongs to the subtree of the sliced element `slicedId`: the element itself, its
 * children, and its slices (`slicedId:x…`) or re-slices (`slicedId/x…`, when `slicedId` is a slice).
 */
export function isInSliceGroup(id: string, slicedId: string): boolean {
  return isWithin(id, slicedId) || id.startsWith(`${slicedId}:`) || id.startsWith(`${slicedId}/`);
}

/** Rewrites the prefix `from` of an id or path to `to` (`from` must be a prefix at a boundary). */
export function rebase(value: string, from: string, to: string): string {
  return value === from ? to : `${to}${value.slice(from.length)}`;
}

/**
 * For a renamed choice element (`valueQuantity`) and the candidate `value[x]`: the type code it
 * names (`Quantity`), or undefined. Primitive types are lower-case in FHIR (`valueString` → `string`).
 */
export function choiceTypeOf(name: string, choiceName: string): string | undefined {
  if (!choiceName.endsWith('[x]')) return undefined;
  const prefix = choiceName.slice(0, -3);
  if (!name.startsWith(prefix) || name.length === prefix.length) return undefined;
  const suffix = name.slice(prefix.length);
  return /^[A-Z]/.test(suffix) ? suffix : undefined;
}

/** Whether a type code (from a type suffix) matches a declared type code, case-insensitively on the first letter. */
export function sameTypeCode(suffix: string, code: string): boolean {
  return suffix === code || suffix === code.charAt(0).toUpperCase() + code.slice(1);
}
