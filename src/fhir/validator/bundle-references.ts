import { issue } from '../outcomes';
import type { CheckContext } from './context';
import { isJsonObject } from '../json-object';
import { ID_PATTERN, TYPE_PATTERN } from '../id-pattern';

type Json = Record<string, unknown>;

// A relative literal reference, optionally versioned (https://hl7.org/fhir/R4/references.html#literal).
const RELATIVE = new RegExp(`^(${TYPE_PATTERN})/(${ID_PATTERN})(?:/_history/(${ID_PATTERN}))?$`);
const RESTFUL_TAIL = new RegExp(`(${TYPE_PATTERN})/(${ID_PATTERN})(?:/_history/${ID_PATTERN})?$`);
const MAX_DEPTH = 100;

/**
 * References between the entries of a document Bundle (https://hl7.org/fhir/R4/bundle.html#references:
 * a relative reference resolves against the fullUrl of the entry holding it; a document is
 * self-contained, https://hl7.org/fhir/R4/documents.html). When entries share a fullUrl (versions
 * of one resource, bdl-7), a reference must say which one: a versioned reference
 * (`Observation/x/_history/2`) must match an entry of that `meta.versionId`, and an unversioned
 * one that matches several entries is ambiguous.
 */
export function checkDocumentReferences(bundle: Json, path: string, ctx: CheckContext): void {
  if (bundle.type !== 'document' || !Array.isArray(bundle.entry)) return;
  const byUrl = new Map<string, (string | undefined)[]>();
  const entries = bundle.entry.filter(isJsonObject);
  for (const entry of entries) {
    if (typeof entry.fullUrl !== 'string') continue;
    const meta =
      isJsonObject(entry.resource) && isJsonObject(entry.resource.meta) ? entry.resource.meta : undefined;
    const versions = byUrl.get(entry.fullUrl) ?? [];
    versions.push(typeof meta?.versionId === 'string' ? meta.versionId : undefined);
    byUrl.set(entry.fullUrl, versions);
  }
  if (![...byUrl.values()].some((v) => v.length > 1)) return; // every reference resolves to one entry or none
  bundle.entry.forEach((entry: unknown, i) => {
    if (!isJsonObject(entry) || typeof entry.fullUrl !== 'string' || !isJsonObject(entry.resource)) return;
    const base = baseOf(entry.fullUrl);
    if (base === undefined) return;
    forEachReference(entry.resource, `${path}.entry[${i}].resource`, 0, (reference, at) => {
      const m = RELATIVE.exec(reference);
      if (!m) return;
      const [, type, id, version] = m;
      const versions = byUrl.get(`${base}${type}/${id}`);
      if (!versions) return;
      const why =
        version !== undefined
          ? versions.includes(version)
            ? undefined
            : `Cannot find '${reference}' in the document: the entries with fullUrl ${base}${type}/${id} have other versions (${versions.map((v) => v ?? 'none').join(', ')}).`
          : versions.length > 1
            ? `The reference '${reference}' matches ${versions.length} entries of the document (versions of one fullUrl); reference one version with /_history/.`
            : undefined;
      if (why) ctx.issues.push(issue({ code: 'invalid', text: why, expression: at }));
    });
  });
}

/** The base a relative reference resolves against: the fullUrl without its `Type/id` tail. */
function baseOf(fullUrl: string): string | undefined {
  const m = RESTFUL_TAIL.exec(fullUrl);
  return m ? fullUrl.slice(0, m.index) : undefined;
}

/** Every `reference` string of a resource, not descending into resources nested in it. */
function forEachReference(
  value: unknown,
  path: string,
  depth: number,
  visit: (reference: string, path: string) => void,
): void {
  if (depth > MAX_DEPTH) return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => forEachReference(v, `${path}[${i}]`, depth + 1, visit));
    return;
  }
  if (!isJsonObject(value)) return;
  if (depth > 0 && typeof value.resourceType === 'string') return;
  for (const key in value) {
    const v = value[key];
    if (key === 'reference' && typeof v === 'string') visit(v, `${path}.reference`);
    else if (typeof v === 'object' && v !== null) forEachReference(v, `${path}.${key}`, depth + 1, visit);
  }
}
