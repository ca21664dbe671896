import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue } from '../outcomes';

/**
 * XHTML rules (https://hl7.org/fhir/R4/narrative.html#xhtml, invariants txt-1/txt-2), split in
 * two: what any xhtml value must be — only basic HTML formatting (no scripts, forms, frames, event
 * handler attributes or `javascript:` URLs) and well-formed XML, which knows only the five
 * predefined entities (`&reg;` is HTML, not XML) — and what Narrative.div must be besides.
 */
const ALLOWED_ELEMENTS = new Set(
  (
    'p br div h1 h2 h3 h4 h5 h6 a span b em i strong small big tt dfn q var abbr acronym cite ' +
    'blockquote hr address bdo kbd samp sub sup ul ol li dl dt dd pre table caption colgroup col ' +
    'thead tr tfoot tbody th td code img map area u s strike del ins font center'
  ).split(' '),
);
const XML_ENTITIES = new Set(['lt', 'gt', 'amp', 'quot', 'apos']);
// Linear-time (DESIGN.md §8): a tag's attribute part starts with a character no name has and
// stops at the next `<`, and an attribute name starts where no name character precedes it, so no
// two quantifiers trade characters and no scan restarts inside the previous one.
const TAG = /<\s*(?:\/\s*)?([A-Za-z][\w:.-]*)((?:[^\w:.<>-][^<>]*)?)>/g;
const ATTR = /(?<![\w:.-])([A-Za-z_:][\w:.-]*)\s*=\s*("[^"]*"|'[^']*')/g;
const XHTML_NS = 'http://www.w3.org/1999/xhtml';

/**
 * Rules of the narrative `div` itself (https://hl7.org/fhir/R4/narrative.html#xhtml): the root is
 * a `div` in the XHTML namespace, with some non-whitespace content (txt-2). They apply to
 * Narrative.div, not to every value of the xhtml type.
 */
export function checkNarrativeDiv(xhtml: string, path: string): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  const fail = (code: 'invalid' | 'invariant', text: string): void => {
    issues.push(issue({ code, text, expression: path }));
  };
  const trimmed = xhtml.trim();
  const root = /^<div(\s[^>]*)?>/.exec(trimmed);
  if (!trimmed) fail('invariant', 'The narrative SHALL have some non-whitespace content (txt-2).');
  else if (!root) fail('invalid', "The narrative must start with a 'div' element.");
  else if (!(root[1] ?? '').includes(`xmlns="${XHTML_NS}"`)) {
    fail('invalid', `The narrative 'div' must be in the XHTML namespace (xmlns="${XHTML_NS}").`);
  }
  return issues;
}

/**
 * Rules of any xhtml value (https://hl7.org/fhir/R4/narrative.html#xhtml, txt-1): only basic
 * HTML formatting elements, no event handler attributes or script URLs, and only the entities
 * XML knows. Returns the issues (none when the content is safe and well-formed).
 */
export function checkXhtmlContent(xhtml: string, path: string): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  const fail = (code: 'invalid' | 'invariant', text: string): void => {
    issues.push(issue({ code, text, expression: path }));
  };
  for (const m of xhtml.matchAll(TAG)) {
    const name = (m[1] ?? '').toLowerCase();
    if (!ALLOWED_ELEMENTS.has(name)) {
      fail(
        'invalid',
        `Invalid element name in the XHTML ('${name}'): narrative may hold only basic HTML formatting (txt-1).`,
      );
    }
    checkAttributes(m[2] ?? '', fail);
  }
  for (const m of xhtml.matchAll(/&([^;&<\s]*);?/g)) {
    const ref = m[1] ?? '';
    const ok = m[0].endsWith(';') && (XML_ENTITIES.has(ref) || /^#(\d+|x[0-9a-fA-F]+)$/.test(ref));
    if (!ok)
      fail(
        'invalid',
        `Invalid entity in the XHTML ('${m[0]}'): XML knows only &lt; &gt; &amp; &quot; &apos; and numeric references.`,
      );
  }
  return issues;
}

function checkAttributes(attrs: string, fail: (code: 'invalid' | 'invariant', text: string) => void): void {
  for (const a of attrs.matchAll(ATTR)) {
    const name = (a[1] ?? '').toLowerCase();
    const value = (a[2] ?? '').slice(1, -1).trim().toLowerCase();
    if (name.startsWith('on')) {
      fail('invariant', `Event handler attribute '${name}' is not allowed in narrative (txt-1).`);
    } else if (
      (name === 'href' || name === 'src') &&
      /^\s*(javascript|vbscript|data:text\/html)/.test(value)
    ) {
      fail(
        'invariant',
        `Unsafe URL in '${name}' ('${value.slice(0, 40)}') is not allowed in narrative (txt-1).`,
      );
    }
  }
}
