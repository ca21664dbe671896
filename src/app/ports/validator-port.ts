import type { OperationOutcome, Resource } from '@medplum/fhirtypes';

/**
 * The port of validation (DESIGN.md §4): what the ingest use cases and the relay need to check a
 * resource against base R4 and its `meta.profile` before it is stored or sent. The implementation
 * is the `FhirValidator` of `src/fhir/validator` (`createValidator()`).
 */
export interface ResourceValidator {
  /** An OperationOutcome for `resource`; never throws for invalid content. */
  validate(resource: Resource): OperationOutcome;
}
