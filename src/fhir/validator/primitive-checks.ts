import { issue } from '../outcomes';
import { checkCalendarDate } from './calendar-dates';
import type { CheckContext } from './context';
import { withProfile } from './context';
import { checkCode } from './coded-checks';
import { checkNarrativeDiv, checkXhtmlContent } from './narrative-checks';
import { checkNarrativeLinks } from './narrative-links';
import { MAX_STRING } from './primitive-values';
import { checkEmptyString } from './empty-values';
import { checkUri } from './uri-checks';
import type { Visit } from './walker';

// R4 regexes (https://hl7.org/fhir/R4/datatypes.html#dateTime): when a time is given, seconds
// and a time zone are required; medplum's own pattern accepts both as optional.
const DATE_TIME =
  /^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?$/;
const NARRATIVE_DIV = 'Narrative.div';
const INTEGER_TYPES = new Set(['integer', 'positiveInt', 'unsignedInt']);
const URI_TYPES = new Set(['uri', 'url', 'canonical']);
// HL7 validator heuristic: a `<` followed by a tag name (or `/tag`) looks like markup.
const HTML_TAG = /<\/?[A-Za-z][A-Za-z0-9-]*(\s[^<>]*)?\/?>/;
const HTML_START = /<\/?[A-Za-z]/;
const EXAMPLE_HOST = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*\.)?(example\.org|example\.com)(:\d+)?([/?#]|$)/i;

/** Checks one primitive value beyond what `@medplum/core` checks. */
export function checkPrimitive(visit: Visit, ctx: CheckContext): void {
  const { value, type, path } = visit;
  if (typeof value === 'number') {
    checkNumber(visit, ctx);
    return;
  }
  if (typeof value !== 'string') return;
  if (type !== 'xhtml') checkEmptyString(value, path, ctx);
  // Length before pattern (DESIGN.md §8): a string over R4's 1 MB is already refused by the
  // lexical check (primitive-values.ts); no pattern here reads it. XHTML has no such limit.
  if (type !== 'xhtml' && value.length > MAX_STRING) return;
  checkCalendarDate(value, type, path, ctx);
  if (type === 'dateTime' && !DATE_TIME.test(value)) {
    ctx.issues.push(
      issue({
        code: 'value',
        text: `Not a valid dateTime: '${value}' (a time needs seconds and a time zone).`,
        expression: path,
      }),
    );
  } else if (type === 'xhtml') {
    ctx.issues.push(...checkXhtmlContent(value, path));
    // R4 has one xhtml element, Narrative.div; its own rules do not bind a free-standing value.
    if (visit.element.path === NARRATIVE_DIV) {
      ctx.issues.push(...checkNarrativeDiv(value, path));
      ctx.issues.push(...checkNarrativeLinks(value, path, visit.resource));
    }
  } else if (type === 'string') {
    checkHtmlInString(value, path, ctx);
  } else if (type === 'markdown') {
    checkHtmlInMarkdown(value, path, ctx);
  } else if (URI_TYPES.has(type)) {
    checkUri(visit, ctx);
    if (ctx.options.forbidExampleUrls) checkExampleUrl(value, path, ctx);
  }
  if (type === 'code') checkCode(visit, ctx);
}

function checkNumber(visit: Visit, ctx: CheckContext): void {
  const { value, type, path } = visit;
  if (!INTEGER_TYPES.has(type) || typeof value !== 'number') return;
  const lexeme = ctx.lexemes?.get(visit.parent)?.get(visit.key);
  if (lexeme !== undefined) {
    ctx.issues.push(
      issue({
        code: 'value',
        text: withProfile(
          `'${lexeme}' is not a valid ${type}: no decimal point or exponent is allowed.`,
          visit.profile,
        ),
        expression: path,
      }),
    );
  } else if (Number.isInteger(value) && (value > 2147483647 || value < -2147483648)) {
    ctx.issues.push(
      issue({ code: 'value', text: `${value} is outside the 32-bit range of ${type}.`, expression: path }),
    );
  }
}

function checkHtmlInString(value: string, path: string, ctx: CheckContext): void {
  // Every tag starts with '<': most strings have none, and indexOf finds that faster than the
  // unanchored pattern, which tries each position (issue 12).
  if (!value.includes('<') || !HTML_TAG.test(value)) return;
  ctx.issues.push(
    issue({
      severity: ctx.options.securityChecks ? 'error' : 'information',
      code: 'invalid',
      text: 'The string contains text that looks like embedded HTML tags; rendered as HTML without escaping it may be a security risk.',
      expression: path,
    }),
  );
}

function checkHtmlInMarkdown(value: string, path: string, ctx: CheckContext): void {
  const m = value.includes('<') ? HTML_START.exec(value) : null;
  if (!m) return;
  ctx.issues.push(
    issue({
      severity: ctx.options.noHtmlInMarkdown ? 'error' : 'warning',
      code: 'invalid',
      text: `The markdown contains what looks like an embedded HTML tag starting at '${value.slice(m.index, m.index + 2)}'; presentation layers should escape it.`,
      expression: path,
    }),
  );
}

/** Example URLs (RFC 2606 reserved domains) are not allowed when examples are forbidden. */
export function checkExampleUrl(value: string, path: string, ctx: CheckContext): void {
  if (!EXAMPLE_HOST.test(value)) return;
  ctx.issues.push(
    issue({
      code: 'invalid',
      text: `Example URLs are not allowed in this context (${value}).`,
      expression: path,
    }),
  );
}
