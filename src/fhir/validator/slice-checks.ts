import { arrayify, getNestedProperty, matchDiscriminant } from '@medplum/core';
import type { SlicingRules, TypedValue } from '@medplum/core';
import { issue } from '../outcomes';
import type { StructureScope } from './structure-scope';
import { labelled } from './structure-scope';

/**
 * Slice cardinality (https://hl7.org/fhir/R4/profiling.html#slicing) with `@medplum/core`'s
 * discriminator semantics (value, pattern, type; FHIRPath discriminators are not supported).
 */

type Slice = SlicingRules['slices'][number];
type Discriminator = SlicingRules['discriminator'][number];
/** What a discriminator's path reaches in one value. */
type Reached = (TypedValue | TypedValue[] | undefined)[] | undefined;

/**
 * A `type` discriminator compares the type of the value at its path with the types the slice
 * gives the element at that path (https://hl7.org/fhir/R4/profiling.html#discriminator); medplum
 * compares with the slice's own types, and a resource's typed value says `Resource`, not its
 * resourceType. A `profile` discriminator arrives here as `type` (profile-cache.ts).
 */
function matches(v: TypedValue | TypedValue[] | undefined, d: Discriminator, slice: Slice): boolean {
  if (d.type !== 'type') return matchDiscriminant(v, d, slice);
  if (v === undefined || Array.isArray(v)) return false;
  const element = d.path === '$this' ? undefined : slice.elements[d.path];
  const types = element?.type ?? slice.type ?? [];
  const rt = (v.value as { resourceType?: unknown } | undefined)?.resourceType;
  const actual = typeof rt === 'string' ? rt : v.type;
  return types.some((t) => t.code === actual);
}

/**
 * The slice a value belongs to (medplum's discriminator semantics: value, pattern, type). What
 * each discriminator's path reaches depends on the value alone, so it is read once per value,
 * not once per slice (reading it was most of the cost of slicing).
 */
function sliceOf(value: TypedValue, slicing: SlicingRules): string | undefined {
  // Read on first need, in the order the slices ask, as before (a later path is read only when
  // an earlier discriminator matched).
  const reached: (Reached | null)[] = slicing.discriminator.map(() => null);
  const at = (d: Discriminator, i: number) =>
    reached[i] === null ? (reached[i] = arrayify(getNestedProperty(value, d.path))) : reached[i];
  for (const slice of slicing.slices) {
    const matches_ = slicing.discriminator.every((d, i) => at(d, i)?.some((v) => matches(v, d, slice)));
    if (matches_) return slice.name;
  }
  return undefined;
}

/** Counts the values of a sliced element per slice and checks each slice's cardinality. */
export function checkSliceCounts(
  values: TypedValue[],
  slicing: SlicingRules,
  path: string,
  scope: StructureScope,
): void {
  const counts = new Map<string, number>();
  for (const v of values) {
    const name = sliceOf(v, slicing);
    if (name !== undefined) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  for (const slice of slicing.slices) {
    const n = counts.get(slice.name) ?? 0;
    if (n < slice.min || n > slice.max) {
      const max = Number.isFinite(slice.max) ? slice.max : '*';
      const text = `Incorrect number of values provided for slice '${slice.name}': expected ${slice.min}..${max}, but found ${n}`;
      scope.issues.push(issue({ code: 'structure', text: labelled(text, scope), expression: path }));
    }
  }
}
