/**
 * The adapters the CLI's offline tools use (`validate` reads FHIR packages, `jwks` reads the
 * destinations file and signing keys). Entry points never import an adapter (DESIGN.md §9): they
 * obtain it here, from the composition root.
 */
export { loadFhirPackage, loadProjectProfiles } from '../adapters/fhir-packages/load-package';
export { parseDestinations } from '../adapters/destination/destinations';
export {
  buildJwks,
  generateSigningKey,
  publicJwkFromPrivatePem,
  type PublicJwk,
} from '../adapters/destination/auth';
