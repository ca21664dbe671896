import { tryGetDataType } from '@medplum/core';
import type { ElementDefinition, StructureDefinition } from '@medplum/fhirtypes';
import { issue } from '../outcomes';
import { generateSnapshot, SnapshotError } from '../snapshot';
import type { CheckContext } from './context';
import { isJsonObject } from '../json-object';

/**
 * Rules on a profile (a constraint StructureDefinition) as an author writes it
 * (https://hl7.org/fhir/R4/profiling.html):
 * - a differential element's `path` is its `id` without slice names; a choice element renamed
 *   for one type (`valueQuantity`) may keep the `[x]` form, nothing else;
 * - the snapshot a differential yields can be generated from its base (a differential that names
 *   an element the base lacks, or changes a fixed value of the base, cannot);
 * - a slicing discriminator's path starts at an element of the sliced element's type
 *   (https://hl7.org/fhir/R4/profiling.html#discriminator), or is `$this`, or a FHIRPath function
 *   the specification allows there (`resolve()`, `extension(…)`, `ofType(…)`).
 * A profile whose base is not loaded is not judged on the last two.
 */
export function checkStructureDefinition(sd: Record<string, unknown>, path: string, ctx: CheckContext): void {
  if (sd.resourceType !== 'StructureDefinition' || sd.derivation !== 'constraint') return;
  const differential = isJsonObject(sd.differential) ? sd.differential.element : undefined;
  if (!Array.isArray(differential)) return;
  const elements = differential.filter(isJsonObject) as unknown as ElementDefinition[];
  elements.forEach((e, i) => checkPathMatchesId(e, `${path}.differential.element[${i}]`, ctx));
  const definition = sd as unknown as StructureDefinition;
  if (!definition.baseDefinition || !ctx.profiles.resolve(definition.baseDefinition)) return;
  let snapshot: ElementDefinition[];
  try {
    snapshot = hasSnapshot(definition)
      ? (definition.snapshot?.element ?? [])
      : (generateSnapshot(definition, ctx.profiles.resolve).snapshot?.element ?? []);
  } catch (err) {
    if (!(err instanceof SnapshotError)) throw err;
    ctx.issues.push(
      issue({ code: 'exception', text: `Error generating the snapshot: ${err.message}`, expression: path }),
    );
    return;
  }
  elements.forEach((e, i) => checkDiscriminators(e, snapshot, `${path}.differential.element[${i}]`, ctx));
}

function hasSnapshot(sd: StructureDefinition): boolean {
  return (sd.snapshot?.element?.length ?? 0) > 0;
}

/** `Observation.value[x]:valueQuantity.code` → `Observation.value[x].code`. */
function pathOfId(id: string): string {
  return id.replace(/:[^.]*/g, '');
}

function checkPathMatchesId(e: ElementDefinition, at: string, ctx: CheckContext): void {
  if (typeof e.id !== 'string' || typeof e.path !== 'string') return;
  const expected = pathOfId(e.id);
  if (e.path === expected) return;
  const idSteps = expected.split('.');
  const pathSteps = e.path.split('.');
  const renamedChoice =
    idSteps.length === pathSteps.length &&
    idSteps.every((step, i) => {
      const p = pathSteps[i] ?? '';
      if (p === step) return true;
      // `value[x]` in the path for `valueQuantity` in the id (or the reverse)
      const [choice, named] = p.endsWith('[x]') ? [p, step] : [step, p];
      const stem = choice.slice(0, -3);
      return choice.endsWith('[x]') && named.startsWith(stem) && /^[A-Z]/.test(named.slice(stem.length));
    });
  if (renamedChoice) return;
  ctx.issues.push(
    issue({
      code: 'invalid',
      text: `The path '${e.path}' does not match the element id '${e.id}' (expected '${expected}').`,
      expression: `${at}.path`,
    }),
  );
}

const DISCRIMINATOR_FUNCTION = /^(resolve\(\)|extension\(|ofType\(|\$this)/;

function checkDiscriminators(
  e: ElementDefinition,
  snapshot: ElementDefinition[],
  at: string,
  ctx: CheckContext,
): void {
  const discriminators = e.slicing?.discriminator;
  if (!discriminators?.length || typeof e.id !== 'string') return;
  const element = snapshot.find((s) => s.id === e.id);
  if (!element) return;
  const children = childNames(element, snapshot);
  if (children === undefined) return;
  discriminators.forEach((d, i) => {
    if (typeof d.path !== 'string' || DISCRIMINATOR_FUNCTION.test(d.path)) return;
    const first = /^[A-Za-z0-9_]+/.exec(d.path)?.[0] ?? '';
    if (children.has(first) || children.has(`${first}[x]`)) return;
    ctx.issues.push(
      issue({
        code: 'invalid',
        text: `The discriminator path '${d.path}' is not an element of the sliced element '${element.path}'.`,
        expression: `${at}.slicing.discriminator[${i}]`,
      }),
    );
  });
}

/** Names of an element's children: those in the snapshot, and those of its one type. */
function childNames(element: ElementDefinition, snapshot: ElementDefinition[]): Set<string> | undefined {
  const names = new Set<string>();
  const prefix = `${element.path}.`;
  for (const s of snapshot) {
    if (s.path.startsWith(prefix) && !s.path.slice(prefix.length).includes('.')) {
      names.add(s.path.slice(prefix.length));
    }
  }
  const codes = element.type?.map((t) => t.code) ?? [];
  if (codes.length !== 1) return names.size ? names : undefined;
  const schema = tryGetDataType(codes[0] ?? '');
  if (!schema && names.size === 0) return undefined;
  for (const key of Object.keys(schema?.elements ?? {})) if (!key.includes('.')) names.add(key);
  return names;
}
