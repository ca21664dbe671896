/** Snapshot generation for constraint StructureDefinitions (profiles and extensions). */
export { generateSnapshot } from './generate-snapshot';
export { createResolver } from './resolver';
export { SnapshotError, type StructureDefinitionResolver } from './types';
