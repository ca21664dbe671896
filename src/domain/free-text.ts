/**
 * Free text from the practice becomes FHIR `string`s read in other systems' screens. Text that
 * looks like markup or script is refused rather than escaped: the FHIR spec warns that strings
 * are not to be rendered as HTML (http://hl7.org/fhir/R4/security.html#narrative), and the HL7
 * validator's security checks flag the same patterns.
 */

const MARKUP_PATTERNS: readonly RegExp[] = [
  /<\s*\/?\s*[a-z!][^>]*>/i, // an HTML/XML tag or comment
  /javascript\s*:/i,
  /\bon[a-z]+\s*=\s*["']/i, // inline event handler attribute
  /&(#\d+|#x[0-9a-f]+|[a-z]+);/i, // HTML entities
];

/** True when `text` contains an HTML tag, entity, inline handler or `javascript:` URL. */
export function looksLikeMarkup(text: string): boolean {
  return MARKUP_PATTERNS.some((re) => re.test(text));
}
