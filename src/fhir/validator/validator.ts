import { toTypedValue, tryGetDataType } from '@medplum/core';
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue, outcome } from '../outcomes';
import { loadBaseDefinitions } from './base-definitions';
import type { CheckContext } from './context';
import { applicableProfiles } from './declared-profiles';
import type { ValidateOptions } from './options';
import type { FhirPackageContents } from './package-contents';
import { createProfileCache } from './profile-cache';
import { createResolver } from '../snapshot';
import type { StructureDefinitionResolver } from '../snapshot';
import { parseJsonBytes } from '../json';
import { MAX_JSON_DEPTH, parseStrictJson } from './strict-json';
import type { StrictJsonResult } from './strict-json';
import type { NumberLexemes } from './strict-json';
import { createTerminology } from './terminology';
import { walkResource } from './walker';
import type { Deps } from './visitor';
import { createVisitor } from './visitor';
import { validateFreeValue } from './value-validation';
import type { ValueHolder } from './value-validation';
import { isJsonObject } from '../json-object';

/**
 * A validator over the R4 base plus the given packages (profiles, extensions, terminology): the
 * implementation of the validator port (`ResourceValidator`, src/app/ports/validator-port.ts).
 */
export interface FhirValidator {
  /** Validates a parsed resource; never throws for invalid content. */
  validate(resource: unknown, options?: ValidateOptions & { lexemes?: NumberLexemes }): OperationOutcome;
  /** Parses JSON text strictly (malformed JSON is one `fatal` issue), then validates it. */
  validateText(text: string, options?: ValidateOptions): OperationOutcome;
  /** As `validateText`, from bytes: invalid UTF-8 is a `fatal` issue, never silently replaced. */
  validateBytes(bytes: Uint8Array, options?: ValidateOptions): OperationOutcome;
  /**
   * Judges a value as a value of a FHIR datatype (`string`, `dateTime`, `xhtml`, `Reference`, ...):
   * the type's own rules, without those of an element or an enclosing resource. `null` is no value.
   */
  validateValue(type: string, value: unknown, options?: ValidateOptions): OperationOutcome;
  /** Parses one JSON literal strictly (so `1.0` stays a decimal literal), then judges it as `type`. */
  validateValueText(type: string, text: string, options?: ValidateOptions): OperationOutcome;
  /** Canonical URLs of the profiles (constraint StructureDefinitions) loaded from packages. */
  profileUrls(): string[];
}

export interface CreateValidatorInput {
  /** FHIR packages to load on top of R4 (e.g. the kap profiles, US Core). */
  packages?: FhirPackageContents[];
  /** Defaults for every call; per-call options override them. */
  options?: ValidateOptions;
}

/** Builds a validator. The R4 base is indexed once per process; profiles are parsed once each. */
export function createValidator(input: CreateValidatorInput = {}): FhirValidator {
  const base = loadBaseDefinitions();
  const packages = input.packages ?? [];
  const packageSds = packages.flatMap((p) => p.structureDefinitions);
  // The R4 base is looked up below the packages (a package's definition wins, as it always did).
  // The resolver (for generating snapshots) is built on first use: only a definition without a
  // snapshot, or a StructureDefinition being validated, needs the R4 types and resources.
  let resolver: StructureDefinitionResolver | undefined;
  const resolve: StructureDefinitionResolver = (url) =>
    (resolver ??= createResolver(base.structureDefinitions(), packageSds))(url) ??
    base.structureDefinition(url);
  const profiles = createProfileCache(packageSds, (url) => base.structureDefinition(url), resolve);
  const terminology = createTerminology(
    packages.flatMap((p) => p.valueSets),
    packages.flatMap((p) => p.codeSystems),
    base,
  );
  const profileUrls = packageSds
    .filter((sd) => sd.derivation === 'constraint' && sd.type !== 'Extension' && sd.url)
    .map((sd) => sd.url as string);
  const deps = { profiles, terminology, searchParameters: base.searchParameters };

  const validate: FhirValidator['validate'] = (resource, options = {}) =>
    outcome(validateParsed(resource, { ...input.options, ...options }, deps, options.lexemes));

  const validateValue = (
    type: string,
    value: unknown,
    options: ValidateOptions = {},
    lexemes?: NumberLexemes,
    holder: ValueHolder = { parent: [value], key: 0 },
  ): OperationOutcome => {
    const ctx: CheckContext = { ...deps, issues: [], options: { ...input.options, ...options }, lexemes };
    validateFreeValue(type, value, holder, ctx, deps);
    return outcome(dedupe(ctx.issues));
  };

  const jsonOptions = (options: ValidateOptions = {}) => ({
    allowComments: (options.allowComments ?? input.options?.allowComments) === true,
  });

  const validateParsedJson = (parsed: StrictJsonResult, options?: ValidateOptions) =>
    parsed.ok
      ? validate(parsed.value, { ...options, lexemes: parsed.numberLexemes })
      : parseFailure(parsed.message, parsed.line, parsed.column);

  return {
    validate,
    validateText: (text, options) => validateParsedJson(parseStrictJson(text, jsonOptions(options)), options),
    validateBytes: (bytes, options) =>
      validateParsedJson(parseJsonBytes(bytes, jsonOptions(options)), options),
    validateValue: (type, value, options) => validateValue(type, value, options),
    validateValueText(type, text, options) {
      // Parsed inside an array so that a bare number literal keeps its text (strict-json.ts
      // records lexemes by container); positions are reported for `text` itself.
      const parsed = parseStrictJson(`[${text}\n]`, { maxDepth: MAX_JSON_DEPTH + 1 });
      if (!parsed.ok) {
        const column = parsed.line === 1 ? parsed.column - 1 : parsed.column;
        return parseFailure(parsed.message, parsed.line, column);
      }
      const holder = parsed.value as unknown[];
      if (holder.length !== 1) return parseFailure('Expected exactly one JSON value', 1, 1);
      return validateValue(type, holder[0], options, parsed.numberLexemes, { parent: holder, key: 0 });
    },
    profileUrls: () => [...profileUrls],
  };
}

function validateParsed(
  resource: unknown,
  options: ValidateOptions,
  deps: Deps,
  lexemes?: NumberLexemes,
): OperationOutcomeIssue[] {
  if (!isJsonObject(resource) || typeof resource.resourceType !== 'string') {
    return [
      issue({ code: 'structure', text: 'Not a FHIR resource: expected a JSON object with a resourceType.' }),
    ];
  }
  const rt = resource.resourceType;
  const baseSchema = tryGetDataType(rt);
  if (!baseSchema || baseSchema.kind !== 'resource') {
    return [issue({ code: 'structure', text: `Unknown resource type '${rt}'.`, expression: rt })];
  }
  const declared = applicableProfiles(resource, options, deps.profiles);
  const { applied } = declared;
  const issues: OperationOutcomeIssue[] = [...declared.issues];
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

function parseFailure(message: string, line: number, column: number): OperationOutcome {
  return outcome([
    issue({
      severity: 'fatal',
      code: 'structure',
      text: `Error parsing JSON: ${message} at line ${line}, column ${column}.`,
    }),
  ]);
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
