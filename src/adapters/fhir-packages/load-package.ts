import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CodeSystem, StructureDefinition, ValueSet } from '@medplum/fhirtypes';
import type { FhirPackageContents } from '../../fhir/validator';
import { isJsonObject } from '../../fhir/json-object';

/**
 * Reads FHIR packages (https://hl7.org/fhir/packages.html) from disk for the pure validator:
 * a folder holding `package/`, a folder of JSON resources, or a `.tgz` as published to a
 * package registry. I/O lives here, outside the pure core (DESIGN.md §9).
 */

function readJsonFile(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined; // not a resource (e.g. a broken example): a package loader skips it
  }
}

function loadFolder(dir: string): FhirPackageContents {
  const inner = path.join(dir, 'package');
  const root = fs.existsSync(inner) && fs.statSync(inner).isDirectory() ? inner : dir;
  const contents: FhirPackageContents = { structureDefinitions: [], valueSets: [], codeSystems: [] };
  const manifest = readJsonFile(path.join(root, 'package.json'));
  if (isJsonObject(manifest)) {
    if (typeof manifest.name === 'string') contents.name = manifest.name;
    if (typeof manifest.version === 'string') contents.version = manifest.version;
  }
  for (const file of fs.readdirSync(root).sort()) {
    if (!file.endsWith('.json') || file === 'package.json' || file.startsWith('.')) continue;
    addResource(contents, readJsonFile(path.join(root, file)));
  }
  return contents;
}

function addResource(contents: FhirPackageContents, resource: unknown): void {
  if (!isJsonObject(resource)) return;
  switch (resource.resourceType) {
    case 'StructureDefinition':
      contents.structureDefinitions.push(resource as unknown as StructureDefinition);
      break;
    case 'ValueSet':
      contents.valueSets.push(resource as unknown as ValueSet);
      break;
    case 'CodeSystem':
      contents.codeSystems.push(resource as unknown as CodeSystem);
      break;
    case 'Bundle':
      for (const entry of Array.isArray(resource.entry) ? resource.entry : []) {
        if (isJsonObject(entry)) addResource(contents, entry.resource);
      }
      break;
    default:
  }
}

/** Loads a package from a folder or a `.tgz`; throws when the path cannot be read. */
export function loadFhirPackage(location: string): FhirPackageContents {
  const stat = fs.statSync(location);
  if (stat.isDirectory()) return loadFolder(location);
  if (!/\.(tgz|tar\.gz)$/.test(location)) throw new Error(`Not a FHIR package (folder or .tgz): ${location}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-fhir-package-'));
  try {
    // Loaded only for a .tgz: the project's own packages are folders, and `tar` costs every start.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- on demand, see above
    const tar = require('tar') as typeof import('tar');
    tar.x({ file: location, cwd: tmp, sync: true });
    return loadFolder(tmp);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The project's own profiles package folder (`profiles/package/`), resolved from this file. */
export function defaultProfilesPackagePath(): string {
  return path.resolve(__dirname, '../../../profiles/package');
}

/** Loads the project's profiles when they have been built; otherwise no package. */
export function loadProjectProfiles(dir: string = defaultProfilesPackagePath()): FhirPackageContents[] {
  if (!fs.existsSync(dir)) return [];
  const contents = loadFolder(dir);
  return contents.structureDefinitions.length + contents.valueSets.length + contents.codeSystems.length > 0
    ? [contents]
    : [];
}
