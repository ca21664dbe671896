import { isResourceType } from '@medplum/core';
import { issue } from '../outcomes';
import { checkDocumentReferences } from './bundle-references';
import type { CheckContext } from './context';
import { isJsonObject } from '../json-object';
import { ID_PATTERN, TYPE_PATTERN } from '../id-pattern';

// Bundle rules (https://hl7.org/fhir/R4/bundle.html): fullUrl is absolute (bdl-7 pairs it with
// versions), a RESTful fullUrl ends in the entry's type and id, and the paging relations occur once.
// A RESTful fullUrl whose tail differs from the entry's type/id is only warned about.
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:/i;
const RESTFUL_TAIL = new RegExp(`/(${TYPE_PATTERN})/(${ID_PATTERN})(/_history/${ID_PATTERN})?$`);
const SINGLE_RELATIONS = new Set(['self', 'first', 'previous', 'prev', 'next', 'last']);

type Json = Record<string, unknown>;

/** Checks the Bundle-level rules of one Bundle (nested Bundles are visited on their own). */
export function checkBundle(bundle: Json, path: string, ctx: CheckContext): void {
  if (bundle.resourceType !== 'Bundle') return;
  checkLinks(bundle.link, `${path}.link`, ctx);
  checkDocumentReferences(bundle, path, ctx);
  const entries = Array.isArray(bundle.entry) ? bundle.entry : [];
  const seen = new Map<string, number>();
  entries.forEach((entry: unknown, i) => {
    if (!isJsonObject(entry)) return;
    const entryPath = `${path}.entry[${i}]`;
    checkLinks(entry.link, `${entryPath}.link`, ctx);
    const fullUrl = entry.fullUrl;
    if (typeof fullUrl !== 'string') return;
    if (!ABSOLUTE.test(fullUrl)) {
      ctx.issues.push(
        issue({
          code: 'invalid',
          text: `The fullUrl must be an absolute URL (not '${fullUrl}').`,
          expression: `${entryPath}.fullUrl`,
        }),
      );
    }
    checkFullUrlMatchesResource(fullUrl, entry.resource, entryPath, ctx);
    const version =
      isJsonObject(entry.resource) && isJsonObject(entry.resource.meta)
        ? entry.resource.meta.versionId
        : undefined;
    const key = `${fullUrl}|${typeof version === 'string' ? version : ''}`;
    const first = seen.get(key);
    if (first !== undefined && bundle.type !== 'history') {
      ctx.issues.push(
        issue({
          code: 'invalid',
          text: `Duplicate entries for fullUrl '${fullUrl}' (entries ${first} and ${i}); bdl-7 requires fullUrl to be unique per version.`,
          expression: entryPath,
        }),
      );
    } else seen.set(key, i);
  });
}

function checkFullUrlMatchesResource(
  fullUrl: string,
  resource: unknown,
  entryPath: string,
  ctx: CheckContext,
): void {
  if (!isJsonObject(resource)) return;
  const m = RESTFUL_TAIL.exec(fullUrl);
  if (!m || !isResourceType(m[1] ?? '')) return;
  const [, type, id] = m;
  if (resource.resourceType !== type || (typeof resource.id === 'string' && resource.id !== id)) {
    // A warning: the official R4 examples themselves break this (Bundle-lri-example).
    ctx.issues.push(
      issue({
        severity: 'warning',
        code: 'invalid',
        text: `The fullUrl '${fullUrl}' looks like a RESTful server URL, so it must end with the entry's type and id (${String(resource.resourceType)}/${String(resource.id)}).`,
        expression: `${entryPath}.fullUrl`,
      }),
    );
  }
}

function checkLinks(links: unknown, path: string, ctx: CheckContext): void {
  if (!Array.isArray(links)) return;
  const seen = new Set<string>();
  links.forEach((link: unknown, i) => {
    if (!isJsonObject(link) || typeof link.relation !== 'string') return;
    const relation = link.relation;
    if (SINGLE_RELATIONS.has(relation) && seen.has(relation)) {
      ctx.issues.push(
        issue({
          code: 'invalid',
          text: `The link relationship type '${relation}' can only occur once.`,
          expression: `${path}[${i}]`,
        }),
      );
    }
    seen.add(relation);
  });
}
