import type { ElementDefinition } from '@medplum/fhirtypes';
import { choiceTypeOf, isInSliceGroup, isWithin, rebase } from './element-id';
import { clone } from './merge-element';
import { SnapshotError, type StructureDefinitionResolver } from './types';

/**
 * The snapshot under construction: a flat, ordered element list (FHIR R4 §5.1.0.3: a snapshot
 * lists every element in document order, slices right after the element they slice).
 */
export interface ElementTree {
  readonly elements: ElementDefinition[];
  /** The base snapshot as inherited: new slices start from the base definition of the sliced element. */
  readonly baseElements: readonly ElementDefinition[];
  /** The type the StructureDefinition constrains (`Patient`, `Extension`, …). */
  readonly type: string | undefined;
  readonly profileUrl: string | undefined;
  /** Loads a StructureDefinition WITH a snapshot (generating it when only a differential exists). */
  readonly load: StructureDefinitionResolver;
}

/** Position of the element with this id, or -1. */
export function indexOfId(tree: ElementTree, id: string): number {
  return tree.elements.findIndex((e) => e.id === id);
}

/** The element at `index`; throws on a bad index (a bug). */
export function elementAt(tree: ElementTree, index: number): ElementDefinition {
  const element = tree.elements[index];
  if (!element) throw new SnapshotError(`no element at ${index}`, tree.profileUrl);
  return element;
}

/** Indexes of the direct children of the element at `index` (its slices excluded). */
export function childIndexes(tree: ElementTree, index: number): number[] {
  const id = elementAt(tree, index).id ?? '';
  const result: number[] = [];
  for (let i = index + 1; i < tree.elements.length && isWithin(tree.elements[i]?.id ?? '', id); i++) {
    const childId = tree.elements[i]?.id ?? '';
    if (!childId.slice(id.length + 1).includes('.')) result.push(i);
  }
  return result;
}

/**
 * Makes the children of the element at `index` explicit when the differential constrains inside
 * it: from the element its `contentReference` names, else from the definition of its type (or
 * the profile on its type, e.g. an extension's definition).
 */
export function ensureChildren(tree: ElementTree, index: number): void {
  const parent = elementAt(tree, index);
  const parentId = parent.id ?? parent.path;
  const next = tree.elements[index + 1];
  if (next && isWithin(next.id ?? '', parentId)) return;
  const children = parent.contentReference
    ? referencedChildren(tree, parent.contentReference)
    : typeChildren(tree, parent);
  if (parent.contentReference) {
    // Expanded in place: R4 eld-5 forbids contentReference next to a type, and validators would
    // follow the reference and miss the constraints on the expanded children.
    delete parent.contentReference;
    parent.type ??= [{ code: 'BackboneElement' }];
  }
  const copies = children.elements.map((child) => {
    const copy = clone(child);
    copy.id = rebase(child.id ?? child.path, children.rootId, parentId);
    copy.path = rebase(child.path, children.rootPath, parent.path);
    return copy;
  });
  tree.elements.splice(index + 1, 0, ...copies);
  if (expandsNestedExtension(tree, parent)) ensureChildren(tree, index + 2);
}

/**
 * In an extension definition, the IG Publisher also expands the `extension` child of a nested
 * (complex) extension's slice one level (US Core 3.1.0 race and ethnicity show it). Those
 * elements carry no constraint; they only keep the snapshot aligned with published ones.
 */
function expandsNestedExtension(tree: ElementTree, parent: ElementDefinition): boolean {
  const type = parent.type?.[0];
  return (
    tree.type === 'Extension' &&
    parent.sliceName !== undefined &&
    type?.code === 'Extension' &&
    !type.profile?.length &&
    tree.elements.some((e) => e.id === `${parent.id}.extension` && e.path === `${parent.path}.extension`)
  );
}

interface Children {
  readonly rootId: string;
  readonly rootPath: string;
  readonly elements: ElementDefinition[];
}

/**
 * The children of the element a contentReference names, as the base defines them: constraints
 * this profile puts on that element (e.g. the root Consent.provision) do not apply to the
 * recursive use (Consent.provision.provision).
 */
function referencedChildren(tree: ElementTree, reference: string): Children {
  const rootId = reference.slice(reference.indexOf('#') + 1);
  const source = tree.baseElements.some((e) => e.id === rootId) ? tree.baseElements : tree.elements;
  const root = source.find((e) => e.id === rootId);
  if (!root) throw new SnapshotError(`contentReference ${reference} not found`, tree.profileUrl);
  const elements = source.filter((e) => e !== root && isWithin(e.id ?? '', rootId));
  return { rootId, rootPath: root.path, elements };
}

function typeChildren(tree: ElementTree, parent: ElementDefinition): Children {
  const codes = new Set((parent.type ?? []).map((t) => t.code));
  const type = parent.type?.[0];
  if (!type || codes.size !== 1) {
    throw new SnapshotError(`cannot expand ${parent.id}: it needs exactly one type`, tree.profileUrl);
  }
  const url = type.profile?.[0] ?? `http://hl7.org/fhir/StructureDefinition/${type.code}`;
  const definition = tree.load(url);
  const elements = definition?.snapshot?.element;
  const root = elements?.[0];
  if (!elements || !root)
    throw new SnapshotError(`no definition for ${url} (at ${parent.id})`, tree.profileUrl);
  return { rootId: root.id ?? root.path, rootPath: root.path, elements: elements.slice(1) };
}

/**
 * Finds or creates the slice `sliceName` of the element at `slicedIndex`. A new slice is a copy
 * of the sliced element and its children, placed after the last existing slice (FHIR R4
 * §5.1.0.11: slices follow the sliced element, in the order the profile defines them).
 */
export function findOrCreateSlice(tree: ElementTree, slicedIndex: number, sliceName: string): number {
  const sliced = elementAt(tree, slicedIndex);
  const slicedId = sliced.id ?? sliced.path;
  // A re-slice (R4: `slice/reslice`) is a slice of a slice.
  const separator = sliced.sliceName ? '/' : ':';
  const id = `${slicedId}${separator}${sliceName}`;
  const existing = indexOfId(tree, id);
  if (existing >= 0) return existing;
  if (isUnslicedLabel(sliced, sliceName)) return nameInPlace(tree, slicedIndex, sliceName);
  let end = slicedIndex + 1;
  while (end < tree.elements.length && isInSliceGroup(tree.elements[end]?.id ?? '', slicedId)) end++;
  const copies = sliceTemplate(tree, slicedIndex, end).map((e) => ({
    ...clone(e),
    id: rebase(e.id ?? '', slicedId, id),
  }));
  const root = copies[0];
  if (!root) throw new SnapshotError(`cannot slice ${slicedId}`, tree.profileUrl);
  root.sliceName = sliced.sliceName ? `${sliced.sliceName}/${sliceName}` : sliceName;
  delete root.slicing;
  // Extensions are always sliced by url (FHIR R4 §2.22.0.1), even where the profile omits it.
  if (!sliced.slicing && sliced.type?.[0]?.code === 'Extension') sliced.slicing = { ...EXTENSION_SLICING };
  tree.elements.splice(end, 0, ...copies);
  return end;
}

const EXTENSION_SLICING = {
  discriminator: [{ type: 'value' as const, path: 'url' }],
  description: 'Extensions are always sliced by (at least) url',
  rules: 'open' as const,
};

/**
 * The elements a new slice starts from: the sliced element as the base defines it (constraints
 * this profile puts on the unsliced element do not flow into its slices, as in the HL7 IG
 * Publisher), with its inline children (backbone elements); a datatype's children are expanded
 * per slice only when the differential constrains inside the slice.
 */
function sliceTemplate(tree: ElementTree, slicedIndex: number, end: number): ElementDefinition[] {
  const sliced = elementAt(tree, slicedIndex);
  const slicedId = sliced.id ?? '';
  const inBase = tree.baseElements.findIndex((e) => e.id === slicedId);
  const source = inBase >= 0 ? tree.baseElements.slice(inBase) : tree.elements.slice(slicedIndex, end);
  const first = source[0];
  if (!first) return [];
  if (!hasInlineChildren(sliced)) return [first];
  const result = [first];
  for (const e of source.slice(1)) {
    if (!isInSliceGroup(e.id ?? '', slicedId)) break;
    if (isWithin(e.id ?? '', slicedId)) result.push(e);
  }
  return result;
}

/**
 * A slice name on an element that no one slices (no slicing in base or differential; extensions
 * are implicitly sliced, choice types by type) names the element itself: pre-R4 profiles used
 * slice names as labels, and the IG Publisher renames the element.
 */
function isUnslicedLabel(element: ElementDefinition, sliceName: string): boolean {
  return (
    !element.slicing &&
    !element.sliceName &&
    choiceTypeOf(sliceName, element.path.split('.').pop() ?? '') === undefined &&
    element.type?.[0]?.code !== 'Extension'
  );
}

function nameInPlace(tree: ElementTree, index: number, sliceName: string): number {
  const element = elementAt(tree, index);
  const oldId = element.id ?? element.path;
  const newId = `${oldId}:${sliceName}`;
  for (let i = index; i < tree.elements.length && isWithin(tree.elements[i]?.id ?? '', oldId); i++) {
    const e = elementAt(tree, i);
    e.id = rebase(e.id ?? '', oldId, newId);
  }
  element.sliceName = sliceName;
  return index;
}

function hasInlineChildren(element: ElementDefinition): boolean {
  const code = element.type?.[0]?.code;
  return element.contentReference !== undefined || code === 'BackboneElement' || code === 'Element';
}
