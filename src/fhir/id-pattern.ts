/**
 * The FHIR id rule in one place: 1–64 of `A-Z a-z 0-9 - .`
 * (https://hl7.org/fhir/R4/datatypes.html#id, https://hl7.org/fhir/R4/resource.html#id). Every
 * pattern that embeds an id (a literal reference, a RESTful URL, a Location header) is built from
 * `ID_PATTERN`, so the places that read ids cannot drift from the validator that checks them.
 */

/** The id rule as regular-expression source, for embedding in a larger pattern. */
export const ID_PATTERN = '[A-Za-z0-9\\-.]{1,64}';

/** A resource type as written in a reference or URL (R4 references.html#literal). */
export const TYPE_PATTERN = '[A-Z][A-Za-z]+';

const WHOLE_ID = new RegExp(`^${ID_PATTERN}$`);

/** True when `value` is a valid FHIR id. */
export function isFhirId(value: string): boolean {
  return WHOLE_ID.test(value);
}
