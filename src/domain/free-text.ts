/**
 * Free text from the practice becomes FHIR `string`s read in other systems' screens. Text that
 * looks like markup or script is refused rather than escaped: the FHIR spec warns that strings
 * are not to be rendered as HTML (http://hl7.org/fhir/R4/security.html#narrative), and the HL7
 * validator's security checks flag the same patterns.
 *
 * Every pattern here is linear-time (DESIGN.md §8: free text is client input, and one request
 * must never block the service): no two adjacent quantifiers can trade characters, and a
 * pattern's runs from different start positions never overlap. Callers still bound the length
 * first (the schemas' `maxLength`).
 */

// The opening of an HTML/XML tag or comment: `<`, optional spaces, an optional `/` with its own
// spaces, then a letter or `!`. (One `\s*` per side of the `/`, so they cannot trade spaces.)
const TAG_OPEN = /<\s*(?:\/\s*)?[a-z!]/i;

const MARKUP_PATTERNS: readonly RegExp[] = [
  /javascript\s*:/i,
  /\bon[a-z]+\s*=\s*["']/i, // inline event handler attribute
  /&(?:#\d+|#x[0-9a-f]+|[a-z]+);/i, // HTML entities
];

/** True when `text` contains an HTML tag, entity, inline handler or `javascript:` URL. */
export function looksLikeMarkup(text: string): boolean {
  return hasTag(text) || MARKUP_PATTERNS.some((re) => re.test(text));
}

/**
 * A tag is a tag opening with a `>` somewhere after it. Matching `<…[^>]*>` in one pattern
 * rescans the rest of the text from every `<` (quadratic on `<a<a<a…`); the first opening is
 * enough, since any `>` after a later opening is also after the first one.
 */
function hasTag(text: string): boolean {
  const open = TAG_OPEN.exec(text);
  return open !== null && text.includes('>', open.index + open[0].length);
}
