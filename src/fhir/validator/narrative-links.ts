import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue } from '../outcomes';
import { isJsonObject } from '../json-object';

// Linear-time: attribute values are quoted runs without their quote character.
const ANCHOR = /\s(?:id|name)\s*=\s*("[^"]*"|'[^']*')/g;
const LOCAL_HREF = /\shref\s*=\s*("#[^"]*"|'#[^']*')/g;
const MAX_DIV = 1_000_000;

/**
 * Links inside a narrative to a place in it (`href="#x"`) must resolve
 * (https://hl7.org/fhir/R4/narrative.html#xhtml: the narrative stands on its own): to an element
 * of the div with that `id` or `name`, or to a resource contained in the one the narrative
 * belongs to (`#id`). A link that resolves nowhere takes the reader nowhere.
 */
export function checkNarrativeLinks(
  xhtml: string,
  path: string,
  resource: Record<string, unknown> | undefined,
): OperationOutcomeIssue[] {
  if (xhtml.length > MAX_DIV || !xhtml.includes('href')) return [];
  const targets = new Set<string>();
  for (const m of xhtml.matchAll(ANCHOR)) targets.add(unquote(m[1] ?? ''));
  const contained = Array.isArray(resource?.contained) ? resource.contained : [];
  for (const c of contained) if (isJsonObject(c) && typeof c.id === 'string') targets.add(c.id);
  const issues: OperationOutcomeIssue[] = [];
  for (const m of xhtml.matchAll(LOCAL_HREF)) {
    const target = unquote(m[1] ?? '').slice(1);
    if (target === '' || targets.has(target)) continue;
    issues.push(
      issue({
        code: 'invalid',
        text: `The narrative's link to '#${target}' does not resolve: no element of the narrative has that id or name, and no contained resource that id.`,
        expression: path,
      }),
    );
  }
  return issues;
}

function unquote(v: string): string {
  return v.slice(1, -1);
}
