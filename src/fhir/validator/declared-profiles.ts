import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue } from '../outcomes';
import type { ValidateOptions } from './options';
import type { ProfileCache } from './profile-cache';
import { isJsonObject } from '../json-object';

/** The profiles a walk applies to a resource, and why a claimed or requested one is not applied. */
export interface ApplicableProfiles {
  applied: string[];
  issues: OperationOutcomeIssue[];
}

const BASE_DEFINITION = 'http://hl7.org/fhir/StructureDefinition/';

function canonicalKey(url: string): string {
  return url.split('|')[0] ?? url;
}

/**
 * The profiles to validate `resource` against: the one requested (`--profile`) and those it
 * claims in `meta.profile` (https://hl7.org/fhir/R4/resource.html#Meta). A claim that cannot be
 * checked is a warning, not silence: a reader of "All OK" would otherwise believe the resource
 * conforms to it. The HL7 validator does the same (a `structure` warning "Profile reference … has
 * not been checked because it could not be found"); an unchecked claim is not an error, since
 * the resource may well conform.
 */
export function applicableProfiles(
  resource: Record<string, unknown>,
  options: ValidateOptions,
  profiles: ProfileCache,
): ApplicableProfiles {
  const applied: string[] = [];
  const issues: OperationOutcomeIssue[] = [];
  if (options.profile) {
    if (profiles.schema(options.profile)) applied.push(canonicalKey(options.profile));
    else
      issues.push(
        issue({
          code: 'not-found',
          text: `Profile ${options.profile} is not loaded (load its package with --ig).`,
        }),
      );
  }
  const rt = String(resource.resourceType);
  for (const claim of profileClaims(resource, profiles)) {
    if (applied.includes(claim.key)) continue;
    if (claim.unchecked === undefined) {
      applied.push(claim.key);
      continue;
    }
    issues.push(
      issue({
        severity: 'warning',
        code: 'structure',
        text: `Profile ${claim.url} was not checked: ${claim.unchecked}`,
        expression: `${rt}.meta.profile[${claim.index}]`,
      }),
    );
  }
  return { applied, issues };
}

/** One `meta.profile` claim: its canonical key, and why it cannot be checked (undefined: it can). */
interface ProfileClaim {
  url: string;
  key: string;
  index: number;
  unchecked: string | undefined;
}

function profileClaims(resource: Record<string, unknown>, profiles: ProfileCache): ProfileClaim[] {
  const rt = String(resource.resourceType);
  const meta = isJsonObject(resource.meta) ? resource.meta : undefined;
  const declared: unknown[] = Array.isArray(meta?.profile) ? meta.profile : [];
  const claims: ProfileClaim[] = [];
  declared.forEach((url, index) => {
    if (typeof url !== 'string') return; // a wrong JSON type is the structural walk's finding
    const key = canonicalKey(url);
    // Claiming the base definition of the resource's own type is claiming plain R4.
    if (key === `${BASE_DEFINITION}${rt}`) return;
    claims.push({ url, key, index, unchecked: uncheckedReason(key, rt, profiles) });
  });
  return claims;
}

/**
 * The loaded profiles a resource nested in the validated one (a Bundle entry, a contained
 * resource) claims, so that it is walked against them instead of the base
 * (https://hl7.org/fhir/R4/validation.html: each resource is checked against the profiles it
 * claims). Claims that cannot be checked are left silent here: the HL7 validator reports them on
 * the validated resource itself, and for every entry of a Bundle they would be noise.
 */
export function nestedProfiles(resource: Record<string, unknown>, profiles: ProfileCache): string[] {
  const keys = profileClaims(resource, profiles)
    .filter((c) => c.unchecked === undefined)
    .map((c) => c.key);
  return [...new Set(keys)];
}

function uncheckedReason(key: string, rt: string, profiles: ProfileCache): string | undefined {
  const definition = profiles.definition(key);
  if (!definition) return 'it is not loaded (load its package with --ig).';
  if (definition.type !== rt) return `it is a profile of ${definition.type ?? 'another type'}, not of ${rt}.`;
  if (!profiles.schema(key)) return 'its StructureDefinition has no snapshot this validator can use.';
  return undefined;
}
