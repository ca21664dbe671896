import { loadBaseDefinitions } from '../fhir/validator/base-definitions';

/**
 * Indexes the base FHIR R4 StructureDefinitions and SearchParameters into medplum's global schema,
 * once per process, through the validator's loader: one indexing for both, and the precomputed
 * cache when the composition root provided it (issue 12: start-up).
 */
export function loadR4Definitions(): void {
  loadBaseDefinitions();
}
