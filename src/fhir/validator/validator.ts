import { toTypedValue, tryGetDataType } from '@medplum/core';
import type { TypedValue } from '@medplum/core';
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue, outcome } from '../outcomes';
import { loadBaseDefinitions } from './base-definitions';
import { checkBundle } from './bundle-checks';
import { checkCoded } from './coded-checks';
import { checkConformanceResource } from './conformance-checks';
import type { CheckContext } from './context';
import { checkExtension } from './extension-checks';
import type { ValidateOptions } from './options';
import type { FhirPackageContents } from './package-contents';
import { checkJsonShape } from './json-shape';
import { checkItemValue } from './pattern-checks';
import { checkExampleUrl, checkPrimitive } from './primitive-checks';
import { createProfileCache } from './profile-cache';
import type { ProfileCache } from './profile-cache';
import { checkAttachment, checkResourceId } from './resource-checks';
import { parseStrictJson } from './strict-json';
import { checkObjectStructure } from './structure-checks';
import type { NumberLexemes } from './strict-json';
import { createTerminology } from './terminology';
import type { Terminology } from './terminology';
import type { Visitor } from './walker';
import { walkResource } from './walker';

/** A validator over the R4 base plus the given packages (profiles, extensions, terminology). */
export interface FhirValidator {
  /** Validates a parsed resource; never throws for invalid content. */
  validate(resource: unknown, options?: ValidateOptions & { lexemes?: NumberLexemes }): OperationOutcome;
  /** Parses JSON text strictly (malformed JSON is one `fatal` issue), then validates it. */
  validateText(text: string, options?: ValidateOptions): OperationOutcome;
  /** Canonical URLs of the profiles (constraint StructureDefinitions) loaded from packages. */
  profileUrls(): string[];
}

export interface CreateValidatorInput {
  /** FHIR packages to load on top of R4 (e.g. the kap profiles, US Core). */
  packages?: FhirPackageContents[];
  /** Defaults for every call; per-call options override them. */
  options?: ValidateOptions;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Builds a validator. The R4 base is indexed once per process; profiles are parsed once each. */
export function createValidator(input: CreateValidatorInput = {}): FhirValidator {
  const base = loadBaseDefinitions();
  const packages = input.packages ?? [];
  const packageSds = packages.flatMap((p) => p.structureDefinitions);
  const profiles = createProfileCache([...base.extensions, ...packageSds]);
  const terminology = createTerminology(
    [...base.valueSets, ...packages.flatMap((p) => p.valueSets)],
    [...base.codeSystems, ...packages.flatMap((p) => p.codeSystems)],
  );
  const profileUrls = packageSds
    .filter((sd) => sd.derivation === 'constraint' && sd.type !== 'Extension' && sd.url)
    .map((sd) => sd.url as string);
  const deps = { profiles, terminology, searchParameters: base.searchParameters };

  const validate: FhirValidator['validate'] = (resource, options = {}) =>
    outcome(validateParsed(resource, { ...input.options, ...options }, deps, options.lexemes));

  return {
    validate,
    validateText(text, options) {
      const parsed = parseStrictJson(text);
      if (!parsed.ok) {
        return outcome([
          issue({
            severity: 'fatal',
            code: 'structure',
            text: `Error parsing JSON: ${parsed.message} at line ${parsed.line}, column ${parsed.column}.`,
          }),
        ]);
      }
      return validate(parsed.value, { ...options, lexemes: parsed.numberLexemes });
    },
    profileUrls: () => [...profileUrls],
  };
}

interface Deps {
  profiles: ProfileCache;
  terminology: Terminology;
  searchParameters: ReadonlyMap<string, import('@medplum/fhirtypes').SearchParameter>;
}

function validateParsed(
  resource: unknown,
  options: ValidateOptions,
  deps: Deps,
  lexemes?: NumberLexemes,
): OperationOutcomeIssue[] {
  if (!isRecord(resource) || typeof resource.resourceType !== 'string') {
    return [
      issue({ code: 'structure', text: 'Not a FHIR resource: expected a JSON object with a resourceType.' }),
    ];
  }
  const rt = resource.resourceType;
  const baseSchema = tryGetDataType(rt);
  if (!baseSchema || baseSchema.kind !== 'resource') {
    return [issue({ code: 'structure', text: `Unknown resource type '${rt}'.`, expression: rt })];
  }
  const { applied, missing } = applicableProfiles(resource, options, deps.profiles);
  const issues: OperationOutcomeIssue[] = [...missing];
  const ctx: CheckContext = {
    issues,
    options,
    terminology: deps.terminology,
    profiles: deps.profiles,
    lexemes,
  };
  // A profile's snapshot carries every base element and constraint, so a walk against it covers
  // the base: one pass per profile (or one against the base) keeps profiles as fast as the base.
  const root = toTypedValue(resource);
  const walks: (string | undefined)[] = applied.length ? applied : [undefined];
  for (const url of walks) {
    const schema = (url && deps.profiles.schema(url)) || baseSchema;
    walkResource(resource, schema, rt, createVisitor(ctx, deps, root, url), url);
  }
  return dedupe(issues);
}

function applicableProfiles(
  resource: Record<string, unknown>,
  options: ValidateOptions,
  profiles: ProfileCache,
): { applied: string[]; missing: OperationOutcomeIssue[] } {
  const applied: string[] = [];
  const missing: OperationOutcomeIssue[] = [];
  if (options.profile) {
    if (profiles.schema(options.profile)) applied.push(options.profile.split('|')[0] ?? options.profile);
    else
      missing.push(
        issue({
          code: 'not-found',
          text: `Profile ${options.profile} is not loaded (load its package with --ig).`,
        }),
      );
  }
  const meta = isRecord(resource.meta) ? resource.meta : undefined;
  const declared = Array.isArray(meta?.profile) ? meta.profile : [];
  for (const url of declared) {
    // meta.profile is a claim; only profiles we have loaded can be checked (others are ignored,
    // as the HL7 validator does when it cannot resolve them without -ig).
    if (typeof url !== 'string') continue;
    const key = url.split('|')[0] ?? url;
    if (
      !applied.includes(key) &&
      profiles.schema(key) &&
      profiles.definition(key)?.type === resource.resourceType
    )
      applied.push(key);
  }
  return { applied, missing };
}

function createVisitor(ctx: CheckContext, deps: Deps, root: TypedValue, main: string | undefined): Visitor {
  const labelOf = (profile: string | undefined): string | undefined =>
    profile === undefined ? undefined : profile === main ? `profile ${profile}` : `extension ${profile}`;
  return {
    extensionProfile(url) {
      const schema = deps.profiles.schema(url);
      return schema ? { url: url.split('|')[0] ?? url, schema } : undefined;
    },
    resource(r, path) {
      checkResourceId(r, path, ctx);
      checkBundle(r, path, ctx);
      checkConformanceResource(r, path, ctx, deps.searchParameters);
    },
    object(visit) {
      checkObjectStructure(visit, { issues: ctx.issues, root, label: labelOf(visit.profile) });
    },
    primitive(visit) {
      if (!checkJsonShape(visit, true, ctx)) return;
      checkPrimitive(visit, ctx);
      if (visit.profile) checkItemValue(visit, ctx);
    },
    complex(visit) {
      if (!checkJsonShape(visit, false, ctx)) return;
      if (visit.profile) checkItemValue(visit, ctx);
      checkCoded(visit, ctx);
      checkExtension(visit, ctx);
      checkAttachment(visit, ctx);
      if (
        visit.type === 'Reference' &&
        ctx.options.forbidExampleUrls &&
        isRecord(visit.value) &&
        typeof visit.value.reference === 'string'
      ) {
        checkExampleUrl(visit.value.reference, `${visit.path}.reference`, ctx);
      }
    },
  };
}

function dedupe(issues: OperationOutcomeIssue[]): OperationOutcomeIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.severity}|${i.code}|${(i.expression ?? []).join(',')}|${i.details?.text ?? i.diagnostics ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
