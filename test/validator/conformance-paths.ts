import path from 'node:path';

/**
 * Third-party conformance material vendored with its licences (test/conformance/README.md): the
 * repository stands on its own (DESIGN.md §9), so tests read nothing beside the checkout. Never
 * edited here.
 */
export const CONFORMANCE_DIR = path.resolve(__dirname, '../conformance');

/** US Core 3.1.0 (CC0-1.0) as a FHIR package `.tgz`: its StructureDefinitions, ValueSets and CodeSystems. */
export const US_CORE_PACKAGE = path.join(CONFORMANCE_DIR, 'fhir-packages', 'hl7.fhir.us.core-3.1.0.tgz');
