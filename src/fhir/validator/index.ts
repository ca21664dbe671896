/** The FHIR validator (DESIGN.md §4): pure; packages are read by `src/adapters/fhir-packages/`. */
export { createValidator } from './validator';
export type { CreateValidatorInput, FhirValidator } from './validator';
export type { ValidateOptions } from './options';
export type { FhirPackageContents } from './package-contents';
export { parseStrictJson } from './strict-json';
export type { NumberLexemes, StrictJsonResult } from './strict-json';
