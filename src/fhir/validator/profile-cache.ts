import { getAllDataTypes, loadDataType, tryGetProfile } from '@medplum/core';
import type { InternalTypeSchema } from '@medplum/core';
import type { StructureDefinition } from '@medplum/fhirtypes';
import { generateSnapshot } from '../snapshot';
import type { StructureDefinitionResolver } from '../snapshot';
import { prepareProfileSchema } from './profile-schema';

/**
 * Parsed profiles, by canonical URL. `@medplum/core` `validateResource(r, { profile })` re-parses
 * the StructureDefinition on every call (DESIGN.md §4: ~860/s against ~11,500/s for the base);
 * here each profile is parsed once and registered in medplum's type registry under its canonical
 * URL, and the walk (structure-checks.ts) validates against it at the base's cost.
 */
export interface ProfileCache {
  /** The StructureDefinition for a canonical (version suffix ignored), if known. */
  definition(url: string): StructureDefinition | undefined;
  /** The parsed schema, registered under `url` as a type name; undefined when unknown or unusable. */
  schema(url: string): InternalTypeSchema | undefined;
  /** Any loaded StructureDefinition by canonical: R4's types and resources, profiles, extensions. */
  resolve: StructureDefinitionResolver;
}

/**
 * Builds a cache over constraint StructureDefinitions (profiles and extensions); `base` is looked
 * up for a URL none of them has (the R4 base, read lazily: issue 12). A profile published with
 * only a differential gets its snapshot generated from its base (found with `resolve`), as
 * https://hl7.org/fhir/R4/profiling.html#snapshot lets a package leave it out.
 */
export function createProfileCache(
  definitions: StructureDefinition[],
  base?: (url: string) => StructureDefinition | undefined,
  resolve: StructureDefinitionResolver = () => undefined,
): ProfileCache {
  const byUrl = new Map<string, StructureDefinition>();
  for (const sd of definitions) {
    if (sd.url && sd.derivation === 'constraint') byUrl.set(sd.url, sd);
  }
  const lookup = (key: string): StructureDefinition | undefined => {
    const own = byUrl.get(key);
    if (own) return own;
    const sd = base?.(key);
    return sd?.derivation === 'constraint' ? sd : undefined;
  };
  const parsed = new Map<string, InternalTypeSchema | undefined>();

  function schema(url: string): InternalTypeSchema | undefined {
    const key = url.split('|')[0] ?? url;
    if (parsed.has(key)) return parsed.get(key);
    const sd = withSnapshot(lookup(key), resolve);
    let result: InternalTypeSchema | undefined;
    if (sd?.snapshot?.element?.length) {
      try {
        loadDataType(withTypeForProfileDiscriminators(sd));
        const parsed = tryGetProfile(key);
        if (parsed) {
          // Registered under unique names so that medplum applies the profile below the root
          // too (see profile-schema.ts).
          const prepared = prepareProfileSchema(sd, parsed);
          const registry = getAllDataTypes();
          registry[key] = prepared.root;
          for (const [name, inner] of prepared.innerTypes) registry[name] = inner;
          result = prepared.root;
        }
      } catch {
        // A profile medplum cannot parse (e.g. an unsupported slicing discriminator) is treated as
        // unknown: the caller reports that it could not be used rather than crashing.
        result = undefined;
      }
    }
    parsed.set(key, result);
    return result;
  }

  return { definition: (url) => lookup(url.split('|')[0] ?? url), schema, resolve };
}

/** The definition itself when it has a snapshot; else one generated, or none when that fails. */
function withSnapshot(
  sd: StructureDefinition | undefined,
  resolve: StructureDefinitionResolver,
): StructureDefinition | undefined {
  if (!sd || sd.snapshot?.element?.length || !sd.differential?.element?.length) return sd;
  try {
    return generateSnapshot(sd, resolve);
  } catch {
    return sd; // reported as a profile without a usable snapshot (declared-profiles.ts)
  }
}

/**
 * `@medplum/core` parses no `profile` discriminator (https://hl7.org/fhir/R4/profiling.html#discriminator:
 * the value conforms to the profile the slice names). The slices such a discriminator tells apart
 * name a profile of a type (Bundle entries: a Composition profile, a Patient profile, …), so
 * they are told apart here by that type: an approximation that never counts a value of another
 * type in a slice, and counts a value of the slice's type even when it does not conform (the
 * value is then checked against the base of its type, not the slice's profile).
 */
function withTypeForProfileDiscriminators(sd: StructureDefinition): StructureDefinition {
  const elements = sd.snapshot?.element ?? [];
  if (!elements.some((e) => e.slicing?.discriminator?.some((d) => d.type === 'profile'))) return sd;
  return {
    ...sd,
    snapshot: {
      ...sd.snapshot,
      element: elements.map((e) =>
        e.slicing?.discriminator?.some((d) => d.type === 'profile')
          ? {
              ...e,
              slicing: {
                ...e.slicing,
                discriminator: e.slicing.discriminator.map((d) =>
                  d.type === 'profile' ? { ...d, type: 'type' as const } : d,
                ),
              },
            }
          : e,
      ),
    },
  };
}
