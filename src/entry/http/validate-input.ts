import type { OperationOutcome } from '@medplum/fhirtypes';
import { errorOutcome } from '../../fhir/outcomes';
import { isJsonObject } from '../../fhir/json-object';

/**
 * Reads the input of `$validate` (http://hl7.org/fhir/R4/resource-operation-validate.html): a
 * `Parameters` resource with a `resource` parameter (and optional `profile`), or — as most
 * servers also accept — the bare resource. `?profile=` is accepted too; the body's parameter wins.
 * A `Parameters` body is always the operation's input (except at `/fhir/Parameters/$validate`,
 * where it is the resource): without a `resource` there is nothing to validate, and answering
 * "All OK" would be false assurance — 400.
 */
export type ValidateInput =
  | { ok: true; resource: unknown; profile?: string }
  | { ok: false; status: 200 | 400; outcome: OperationOutcome };

/** Splits the body into the resource to validate and the profile to validate it against. */
export function readValidateInput(body: unknown, queryProfile: unknown, pathType?: string): ValidateInput {
  const fromQuery = typeof queryProfile === 'string' && queryProfile !== '' ? queryProfile : undefined;
  if (queryProfile !== undefined && fromQuery === undefined) {
    return invalid('The profile query parameter must be given once, as a canonical URL.', 'profile');
  }
  const params =
    pathType !== 'Parameters' && isJsonObject(body) && body.resourceType === 'Parameters'
      ? Array.isArray(body.parameter)
        ? body.parameter.filter(isJsonObject)
        : []
      : undefined;
  if (!params) return withProfile(body, fromQuery);
  const resourceParam = params.find((p) => p.name === 'resource');
  if (!resourceParam) {
    const text =
      'The Parameters carry no "resource" parameter: nothing to validate. (To validate a Parameters resource itself, POST it to /fhir/Parameters/$validate.)';
    return badRequest(text, 'Parameters.parameter');
  }
  if (!isJsonObject(resourceParam.resource)) {
    return badRequest(
      'The "resource" parameter must carry the resource in parameter.resource.',
      'Parameters.parameter.resource',
    );
  }
  const profileParam = params.find((p) => p.name === 'profile');
  if (profileParam) {
    const value = profileParam.valueUri ?? profileParam.valueCanonical ?? profileParam.valueString;
    if (typeof value !== 'string' || value === '') {
      return invalid(
        'The "profile" parameter must carry a canonical URL (valueUri or valueCanonical).',
        'Parameters.parameter.value',
      );
    }
    return withProfile(resourceParam.resource, value);
  }
  return withProfile(resourceParam.resource, fromQuery);
}

function withProfile(resource: unknown, profile: string | undefined): ValidateInput {
  return profile === undefined ? { ok: true, resource } : { ok: true, resource, profile };
}

/** A verdict about the input, answered like any verdict (200 with the OperationOutcome). */
function invalid(text: string, expression: string): ValidateInput {
  return { ok: false, status: 200, outcome: errorOutcome('invalid', text, expression) };
}

/** A malformed operation call: no resource to validate (400). */
function badRequest(text: string, expression: string): ValidateInput {
  return { ok: false, status: 400, outcome: errorOutcome('required', text, expression) };
}

/** The issue `/fhir/{type}/$validate` adds when the body's resourceType is not the path's type. */
export function typeMismatch(resource: unknown, pathType: string): OperationOutcome | undefined {
  const actual = isJsonObject(resource) ? resource.resourceType : undefined;
  if (actual === pathType) return undefined;
  return errorOutcome('invalid', `The resource must be a ${pathType}, as the path says.`, 'resourceType');
}
