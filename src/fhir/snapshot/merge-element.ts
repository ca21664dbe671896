import type { ElementDefinition } from '@medplum/fhirtypes';
import { SnapshotError } from './types';

/**
 * Applies one differential element onto its snapshot element, as FHIR R4 "Profiling" §5.1.0.5
 * describes a constraint: the differential states only what changes; everything else is inherited.
 */

/** Keys that the differential simply replaces when present. */
const REPLACED_KEYS = [
  'sliceName',
  'sliceIsConstraining',
  'label',
  'code',
  'short',
  'definition',
  'comment',
  'requirements',
  'min',
  'max',
  'type',
  'meaningWhenMissing',
  'orderMeaning',
  'maxLength',
  'mustSupport',
  'isModifier',
  'isModifierReason',
  'isSummary',
  'extension',
] as const;

/** Value prefixes of choice keys that the differential replaces: fixed[x], pattern[x], minValue[x], maxValue[x]. */
const CHOICE_PREFIXES = ['fixed', 'pattern', 'minValue', 'maxValue', 'defaultValue'] as const;

type Indexable = Record<string, unknown>;

/** Merges `diff` into `target` in place; `profileUrl` becomes the source of new constraints. */
export function mergeElement(
  target: ElementDefinition,
  diff: ElementDefinition,
  profileUrl: string | undefined,
): void {
  const t = target as unknown as Indexable;
  const d = diff as unknown as Indexable;
  for (const key of REPLACED_KEYS) {
    if (d[key] !== undefined) t[key] = clone(d[key]);
  }
  mergeChoiceValues(t, d, profileUrl);
  if (diff.alias) target.alias = unionStrings(target.alias, diff.alias);
  if (diff.condition) target.condition = unionStrings(target.condition, diff.condition);
  if (diff.example) target.example = [...(target.example ?? []), ...clone(diff.example)];
  if (diff.binding && isBindable(target)) target.binding = { ...target.binding, ...clone(diff.binding) };
  if (diff.slicing) target.slicing = { ...target.slicing, ...clone(diff.slicing) };
  if (diff.constraint) target.constraint = mergeConstraints(target.constraint, diff.constraint, profileUrl);
  if (diff.mapping) target.mapping = mergeMappings(target.mapping, diff.mapping);
}

/** R4 eld-11: bindings only on coded elements, strings and uris (and Quantity's code). */
const BINDABLE = new Set(['code', 'Coding', 'CodeableConcept', 'Quantity', 'string', 'uri']);

function isBindable(element: ElementDefinition): boolean {
  return !element.type || element.type.some((t) => BINDABLE.has(t.code));
}

/**
 * A new fixed/pattern value replaces any inherited one of the same family (e.g. fixedUri → fixedCode).
 * A fixed value the base sets cannot be changed: a profile only constrains its base further
 * (FHIR R4 §5.1.0.5), and an instance cannot hold two different fixed values at once.
 */
function mergeChoiceValues(target: Indexable, diff: Indexable, profileUrl: string | undefined): void {
  for (const prefix of CHOICE_PREFIXES) {
    const keys = Object.keys(diff).filter((k) => isChoiceKey(k, prefix));
    if (keys.length === 0) continue;
    if (prefix === 'fixed') {
      for (const key of keys) {
        const inherited = target[key];
        if (inherited !== undefined && JSON.stringify(inherited) !== JSON.stringify(diff[key])) {
          throw new SnapshotError(
            `${String(target.path)}: the value is fixed to ${JSON.stringify(inherited)} by the base, and cannot be changed to ${JSON.stringify(diff[key])}`,
            profileUrl,
          );
        }
      }
    }
    for (const old of Object.keys(target).filter((k) => isChoiceKey(k, prefix))) delete target[old];
    for (const key of keys) target[key] = clone(diff[key]);
  }
}

function isChoiceKey(key: string, prefix: string): boolean {
  return key.startsWith(prefix) && /^[A-Z]/.test(key.slice(prefix.length));
}

/** Constraints accumulate down a profile chain; a key restated by the profile replaces the inherited one. */
function mergeConstraints(
  base: ElementDefinition['constraint'],
  added: NonNullable<ElementDefinition['constraint']>,
  profileUrl: string | undefined,
): ElementDefinition['constraint'] {
  const result = [...(base ?? [])];
  for (const c of added) {
    const item = { ...clone(c), source: c.source ?? profileUrl };
    if (!item.source) delete item.source;
    const at = result.findIndex((r) => r.key === c.key);
    if (at >= 0) result[at] = item;
    else result.push(item);
  }
  return result;
}

function mergeMappings(
  base: ElementDefinition['mapping'],
  added: NonNullable<ElementDefinition['mapping']>,
): ElementDefinition['mapping'] {
  const result = [...(base ?? [])];
  for (const m of added) {
    if (!result.some((r) => r.identity === m.identity && r.map === m.map)) result.push(clone(m));
  }
  return result;
}

function unionStrings(a: string[] | undefined, b: string[]): string[] {
  return [...new Set([...(a ?? []), ...b])];
}

/** Deep copy of JSON data (element definitions are plain JSON). */
export function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
