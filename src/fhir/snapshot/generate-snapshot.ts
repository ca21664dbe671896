import type { ElementDefinition, StructureDefinition } from '@medplum/fhirtypes';
import { choiceTypeOf, parseElementId, sameTypeCode, type IdSegment } from './element-id';
import {
  childIndexes,
  elementAt,
  ensureChildren,
  findOrCreateSlice,
  indexOfId,
  type ElementTree,
} from './element-tree';
import { clone, mergeElement } from './merge-element';
import { SnapshotError, type StructureDefinitionResolver } from './types';

/** A profile chain deeper than this is a cycle (FHIR R4 §5.1: baseDefinition must terminate). */
const MAX_DEPTH = 20;

/**
 * Generates the snapshot of a constraint StructureDefinition from its differential and the
 * snapshot of its base (FHIR R4 §5.1.0.3, "Differential and snapshot"). Bases are found with
 * `resolve`; a base that has only a differential (a profile on a profile) gets its snapshot
 * generated first. Returns a new StructureDefinition; the input is not modified.
 * Throws SnapshotError when the differential names an element the base does not have.
 */
export function generateSnapshot(
  sd: StructureDefinition,
  resolve: StructureDefinitionResolver,
): StructureDefinition {
  return generate(sd, resolve, 0);
}

function generate(
  sd: StructureDefinition,
  resolve: StructureDefinitionResolver,
  depth: number,
): StructureDefinition {
  if (depth > MAX_DEPTH) throw new SnapshotError('profile chain too deep (a cycle?)', sd.url);
  const load = (url: string): StructureDefinition | undefined =>
    withSnapshot(resolve(url), resolve, depth + 1);
  if (!sd.baseDefinition) throw new SnapshotError('no baseDefinition', sd.url);
  const base = load(sd.baseDefinition)?.snapshot?.element;
  if (!base?.length) throw new SnapshotError(`cannot resolve base ${sd.baseDefinition}`, sd.url);
  const tree: ElementTree = {
    elements: clone(base),
    baseElements: base,
    type: sd.type,
    profileUrl: sd.url,
    load,
  };
  for (const diff of sd.differential?.element ?? []) {
    const index = locate(tree, diff.id ?? idFromPath(diff));
    mergeElement(elementAt(tree, index), diff, sd.url);
  }
  return { ...clone(sd), snapshot: { element: tree.elements } };
}

function withSnapshot(
  sd: StructureDefinition | undefined,
  resolve: StructureDefinitionResolver,
  depth: number,
): StructureDefinition | undefined {
  if (!sd || sd.snapshot?.element?.length || !sd.differential) return sd;
  return generate(sd, resolve, depth);
}

/** Pre-R4 differentials may omit ids: path plus the slice name of the last segment. */
function idFromPath(diff: ElementDefinition): string {
  return diff.sliceName ? `${diff.path}:${diff.sliceName}` : diff.path;
}

/** Index of the snapshot element a differential id designates, creating slices and children as needed. */
function locate(tree: ElementTree, id: string): number {
  const exact = indexOfId(tree, id);
  if (exact >= 0) return exact;
  const [root, ...rest] = parseElementId(id);
  let index = root ? indexOfId(tree, root.name) : -1;
  if (index < 0) throw new SnapshotError(`unknown element ${id}`, tree.profileUrl);
  for (const segment of rest) index = locateChild(tree, index, segment, id);
  return index;
}

function locateChild(tree: ElementTree, parentIndex: number, segment: IdSegment, fullId: string): number {
  ensureChildren(tree, parentIndex);
  const parentId = elementAt(tree, parentIndex).id ?? '';
  let index = indexOfId(tree, `${parentId}.${segment.name}`);
  if (index < 0) index = locateRenamedChoice(tree, parentIndex, segment.name);
  if (index < 0) throw new SnapshotError(`unknown element ${fullId}`, tree.profileUrl);
  for (const slice of segment.slice?.split('/') ?? []) index = locateSlice(tree, index, slice);
  return index;
}

function locateSlice(tree: ElementTree, slicedIndex: number, sliceName: string): number {
  const sliced = elementAt(tree, slicedIndex);
  const index = findOrCreateSlice(tree, slicedIndex, sliceName);
  const typeCode = choiceTypeOf(sliceName, sliced.path.split('.').pop() ?? '');
  const slice = elementAt(tree, index);
  if (typeCode && slice.type && slice.type.length > 1)
    slice.type = slice.type.filter((t) => sameTypeCode(typeCode, t.code));
  return index;
}

/**
 * A differential may name one type of a choice element directly (`valueQuantity` for
 * `value[x]`, FHIR R4 §5.1.0.13). Like the HL7 IG Publisher, this becomes a type slice of the
 * choice element (discriminator type on $this, closed) whose types are narrowed to the named
 * ones — except inside a slice of a backbone element, where the choice element is narrowed in place.
 */
function locateRenamedChoice(tree: ElementTree, parentIndex: number, name: string): number {
  const parent = elementAt(tree, parentIndex);
  for (const index of childIndexes(tree, parentIndex)) {
    const choice = elementAt(tree, index);
    const typeCode = choiceTypeOf(name, choice.path.split('.').pop() ?? '');
    if (!typeCode) continue;
    const declared = choice.type?.find((t) => sameTypeCode(typeCode, t.code));
    if (!declared) continue;
    if (parent.sliceName && parent.type?.[0]?.code === 'BackboneElement') {
      choice.type = [clone(declared)];
      return index;
    }
    narrowToSlicedTypes(tree, index, declared.code);
    return locateSlice(tree, index, name);
  }
  return -1;
}

function narrowToSlicedTypes(tree: ElementTree, choiceIndex: number, code: string): void {
  const choice = elementAt(tree, choiceIndex);
  choice.slicing ??= { discriminator: [{ type: 'type', path: '$this' }], ordered: false, rules: 'closed' };
  const choiceId = choice.id ?? '';
  const sliced = new Set([code]);
  for (const e of tree.elements) {
    if (e.id?.startsWith(`${choiceId}:`) && !e.id.slice(choiceId.length).includes('.')) {
      e.type?.forEach((t) => sliced.add(t.code));
    }
  }
  choice.type = (choice.type ?? []).filter((t) => sliced.has(t.code));
}
