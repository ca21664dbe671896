import type { InternalSchemaElement, InternalTypeSchema, SlicingRules, TypedValue } from '@medplum/core';
import type { StructureDefinition } from '@medplum/fhirtypes';

/**
 * Why this exists: `@medplum/core` parses a profile's BackboneElements into inner types, but its
 * crawler descends into every child with `getDataType(type)` and no profile, so below the root it
 * validates against the *base* types and every profile rule on a nested element (cardinality,
 * fixed/pattern, slices, invariants) is silently skipped. Inner types are also keyed by
 * `base.path`, so two profiled copies of one base element (`Consent.provision.actor` and
 * `Consent.provision.provision.actor`) overwrite each other.
 *
 * The fix: copy the parsed profile, give each inner type a unique name (`<url>#<element path>`),
 * point the elements at those names, and register them; medplum's crawler then applies the
 * profile at every depth in its one pass. Two medplum gaps are closed on the copy as well:
 * - fixed/pattern on a repeating element is compared with the whole array (always a mismatch);
 *   FHIR applies it to each repetition (https://hl7.org/fhir/R4/elementdefinition-definitions.html#ElementDefinition.pattern_x_),
 *   so it is moved to {@link itemValueRule} and checked per item by the walker;
 * - an extension slice typed by a profile has no `url` child in the snapshot, so medplum's `url`
 *   discriminator never matches; the slice gets the url fixed by its profile
 *   (https://hl7.org/fhir/R4/extensibility.html#Extension).
 */

/** fixed[x] / pattern[x] of a repeating element, applied to each repetition. */
export interface ItemValueRule {
  fixed?: TypedValue;
  pattern?: TypedValue;
}

const itemRules = new WeakMap<InternalSchemaElement, ItemValueRule>();

/** The per-repetition fixed/pattern rule of an element of a prepared profile, if any. */
export function itemValueRule(element: InternalSchemaElement): ItemValueRule | undefined {
  return itemRules.get(element);
}

/** A profile's schema ready for validation: the root, and every inner type by its unique name. */
export interface PreparedProfile {
  root: InternalTypeSchema;
  innerTypes: Map<string, InternalTypeSchema>;
}

/** Unique name of a profile's inner (BackboneElement) type. */
function innerTypeName(url: string, path: string): string {
  return `${url}#${path}`;
}

/** Element paths that stand for another element (`contentReference`), e.g. nested provisions. */
function contentReferences(sd: StructureDefinition): Map<string, string> {
  const refs = new Map<string, string>();
  for (const e of sd.snapshot?.element ?? []) {
    if (e.path && e.contentReference && !e.id?.includes(':')) {
      refs.set(e.path, e.contentReference.slice(e.contentReference.indexOf('#') + 1));
    }
  }
  return refs;
}

/** Copies medplum's parsed profile into a schema whose nested types carry the profile's rules. */
export function prepareProfileSchema(sd: StructureDefinition, parsed: InternalTypeSchema): PreparedProfile {
  const url = sd.url ?? parsed.url ?? parsed.name;
  const byPath = new Map(parsed.innerTypes.map((t) => [t.path, t]));
  const refs = contentReferences(sd);
  const innerTypes = new Map<string, InternalTypeSchema>();

  const copyElements = (schema: InternalTypeSchema): Record<string, InternalSchemaElement> => {
    const out: Record<string, InternalSchemaElement> = {};
    for (const [key, element] of Object.entries(schema.elements)) {
      const childPath = `${schema.path}.${key}`;
      const target = refs.get(childPath) ?? childPath;
      const inner = byPath.has(target) ? innerTypeName(url, target) : undefined;
      out[key] = copyElement(element, inner);
    }
    return out;
  };

  const root: InternalTypeSchema = { ...parsed, elements: copyElements(parsed), innerTypes: [] };
  for (const [path, inner] of byPath) {
    const name = innerTypeName(url, path);
    const copy: InternalTypeSchema = { ...inner, name, type: name, elements: {}, innerTypes: [] };
    innerTypes.set(name, copy);
  }
  // Elements are copied after every inner type has its name, since inner types refer to each other.
  for (const [path, inner] of byPath) {
    const copy = innerTypes.get(innerTypeName(url, path));
    if (copy) copy.elements = copyElements(inner);
  }
  root.innerTypes = [...innerTypes.values()];
  return { root, innerTypes };
}

function copyElement(element: InternalSchemaElement, innerType: string | undefined): InternalSchemaElement {
  const copy: InternalSchemaElement = { ...element };
  if (innerType) copy.type = [{ ...(element.type[0] ?? {}), code: innerType }];
  if (element.slicing) copy.slicing = withExtensionUrls(element.slicing);
  if (element.isArray && (element.pattern || element.fixed)) {
    itemRules.set(copy, { pattern: element.pattern, fixed: element.fixed });
    delete copy.pattern;
    delete copy.fixed;
  }
  return copy;
}

/** Gives each profiled extension slice the `url` its profile fixes, so it can be discriminated. */
function withExtensionUrls(slicing: SlicingRules): SlicingRules {
  const byUrl = slicing.discriminator.some((d) => d.type === 'value' && d.path === 'url');
  if (!byUrl) return slicing;
  const slices = slicing.slices.map((slice) => {
    const profile = slice.type?.find((t) => t.code === 'Extension')?.profile?.[0];
    if (!profile || slice.elements.url) return slice;
    const urlElement: InternalSchemaElement = {
      description: 'Extension.url fixed by the slice profile',
      path: `${slice.path}.url`,
      min: 1,
      max: 1,
      type: [{ code: 'uri' }],
      fixed: { type: 'uri', value: profile.split('|')[0] },
    };
    return { ...slice, elements: { ...slice.elements, url: urlElement } };
  });
  return { ...slicing, slices };
}
