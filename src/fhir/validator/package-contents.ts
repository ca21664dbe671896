import type { CodeSystem, StructureDefinition, ValueSet } from '@medplum/fhirtypes';

/**
 * The conformance resources of one FHIR package (https://hl7.org/fhir/packages.html), already
 * read from disk by an adapter outside the pure core (`src/adapters/fhir-packages/`).
 */
export interface FhirPackageContents {
  /** Package id from its package.json, e.g. `hl7.fhir.us.core`. */
  name?: string;
  version?: string;
  structureDefinitions: StructureDefinition[];
  valueSets: ValueSet[];
  codeSystems: CodeSystem[];
}
