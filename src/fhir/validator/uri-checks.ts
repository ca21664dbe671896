import { tryGetDataType } from '@medplum/core';
import { issue } from '../outcomes';
import type { CheckContext } from './context';
import type { Visit } from './walker';

// RFC 3986 §3.1: an absolute URI starts with a scheme and a colon (`http:`, `urn:`, `mailto:`).
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
// RFC 4122 §3 and https://hl7.org/fhir/R4/datatypes.html#uuid: lowercase hex, 8-4-4-4-12.
const UUID_URN = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID_PREFIX = /^urn:uuid:/i;
const COMPOSE_SYSTEM = new Set(['ValueSet.compose.include.system', 'ValueSet.compose.exclude.system']);
const CONTAINED_URL = /\.contained\[\d+\]\.url$/;

/** True when `value` is an absolute URI (it has a scheme). */
export function isAbsoluteUri(value: string): boolean {
  return SCHEME.test(value);
}

/**
 * Rules on URI values that the R4 regexes do not carry:
 * - a `urn:uuid:` URI holds a valid UUID in lowercase (https://hl7.org/fhir/R4/datatypes.html#uri);
 * - `ValueSet.compose.include/exclude.system` is the canonical of a code system, so absolute; a
 *   contained code system is named by its own canonical URL, not `#id`
 *   (https://hl7.org/fhir/R4/valueset-definitions.html#ValueSet.compose.include.system);
 * - the `url` of a canonical resource is absolute (https://hl7.org/fhir/R4/resource.html#canonical);
 *   at the root a fragment (`#x`) is tolerated as the HL7 validator does, never in a contained
 *   resource, whose canonical must stand on its own.
 */
export function checkUri(visit: Visit, ctx: CheckContext): void {
  const { value, path } = visit;
  if (typeof value !== 'string') return;
  if (UUID_PREFIX.test(value) && !UUID_URN.test(value)) {
    ctx.issues.push(
      issue({ code: 'invalid', text: `UUIDs must be valid and lowercase ('${value}').`, expression: path }),
    );
  }
  const elementPath = visit.element.path;
  if (COMPOSE_SYSTEM.has(elementPath) && !isAbsoluteUri(value)) {
    ctx.issues.push(
      issue({
        code: 'invalid',
        text: `URI values in ${elementPath} must be absolute ('${value}'). To include a contained code system, use its full canonical URL.`,
        expression: path,
      }),
    );
  } else if (isCanonicalUrl(elementPath) && !isAbsoluteUri(value)) {
    const contained = CONTAINED_URL.test(path);
    if (!contained && value.startsWith('#')) return;
    ctx.issues.push(
      issue({
        code: 'invalid',
        text: contained
          ? `Canonical URLs in contained resources must be absolute URLs if present ('${value}').`
          : `Canonical URLs must be absolute URLs if they are not fragment references ('${value}').`,
        expression: path,
      }),
    );
  }
}

/** `X.url` of a resource type X (a canonical resource's identity), not e.g. `Attachment.url`. */
function isCanonicalUrl(elementPath: string): boolean {
  if (!elementPath.endsWith('.url')) return false;
  const type = elementPath.slice(0, -4);
  return !type.includes('.') && tryGetDataType(type)?.kind === 'resource';
}
