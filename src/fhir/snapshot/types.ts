import type { StructureDefinition } from '@medplum/fhirtypes';

/**
 * Finds a StructureDefinition by canonical URL (a base resource, a datatype, a profile or an
 * extension). `url` may carry a `|version` suffix; resolvers may ignore it.
 */
export type StructureDefinitionResolver = (url: string) => StructureDefinition | undefined;

/** Raised when a differential cannot be applied (an unknown element, a missing base). */
export class SnapshotError extends Error {
  constructor(
    message: string,
    readonly profileUrl: string | undefined,
  ) {
    super(profileUrl ? `${profileUrl}: ${message}` : message);
    this.name = 'SnapshotError';
  }
}
