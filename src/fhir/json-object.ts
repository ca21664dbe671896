/**
 * A JSON object, as opposed to an array, `null` or a primitive. FHIR JSON represents every
 * resource and complex datatype as an object (https://hl7.org/fhir/R4/json.html); `typeof` alone
 * also answers 'object' for arrays and null, which is why this check lives in one place.
 */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
