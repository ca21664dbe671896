import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { default as Ajv, ErrorObject, ValidateFunction } from 'ajv';
import { issue } from '../fhir/outcomes';
import { guardPatterns } from './bounded-schema';

/**
 * Layer 1 of validation (DESIGN.md §4): the practice's JSON input against the JSON Schemas of
 * `profiles/schemas/`. The schemas are build-time data loaded as modules (no file reading here),
 * compiled once, and every ajv error becomes an OperationOutcome issue whose `expression` is the
 * record's field path (`client.birthDate`, `share[1]`) and whose text is plain words.
 */

export type SchemaName =
  | 'referral'
  | 'consent'
  | 'revocation'
  | 'revocation-request'
  | 'integration-update'
  | 'referral-status'
  | 'referral-status-request';

/* eslint-disable @typescript-eslint/no-require-imports -- JSON schemas live outside src/ (the
   profiles package ships them); require keeps them out of the TypeScript program's rootDir. */
const SCHEMAS: Record<SchemaName, object> = {
  referral: require('../../profiles/schemas/referral.schema.json') as object,
  consent: require('../../profiles/schemas/consent.schema.json') as object,
  revocation: require('../../profiles/schemas/revocation.schema.json') as object,
  'revocation-request': require('../../profiles/schemas/revocation-request.schema.json') as object,
  'integration-update': require('../../profiles/schemas/integration-update.schema.json') as object,
  'referral-status': require('../../profiles/schemas/referral-status.schema.json') as object,
  'referral-status-request': require('../../profiles/schemas/referral-status-request.schema.json') as object,
};
/* eslint-enable @typescript-eslint/no-require-imports */

let ajv: Ajv | undefined;
const compiled = new Map<SchemaName, ValidateFunction>();

/**
 * ajv is loaded with the first record checked, not with the module: `serve` and most commands
 * import this module, and loading ajv and its formats cost every start (issue 12).
 */
function ajvInstance(): Ajv {
  if (!ajv) {
    /* eslint-disable @typescript-eslint/no-require-imports -- on demand, see above */
    const { default: AjvClass } = require('ajv') as typeof import('ajv');
    const { default: addFormats } = require('ajv-formats') as typeof import('ajv-formats');
    /* eslint-enable @typescript-eslint/no-require-imports */
    ajv = new AjvClass({ allErrors: true, strict: true, verbose: true });
    addFormats(ajv);
  }
  return ajv;
}

function validatorFor(name: SchemaName): ValidateFunction {
  let fn = compiled.get(name);
  if (!fn) {
    fn = ajvInstance().compile(guardPatterns(SCHEMAS[name]));
    compiled.set(name, fn);
  }
  return fn;
}

/** The JSON Schema of a practice record (for documentation and `$validate`-style tools). */
export function recordSchema(name: SchemaName): object {
  return SCHEMAS[name];
}

/** Checks `input` against the named schema; returns one issue per problem (empty when valid). */
export function checkSchema(name: SchemaName, input: unknown): OperationOutcomeIssue[] {
  const validate = validatorFor(name);
  if (validate(input)) return [];
  const errors = validate.errors ?? [];
  const formatFailed = new Set(errors.filter((e) => e.keyword === 'format').map((e) => e.instancePath));
  return dedupe(errors.filter((e) => isUseful(e, formatFailed)).map(toIssue));
}

/** `/client/name/given/0` → `client.name.given[0]`; the empty path is the record itself. */
export function toFieldPath(pointer: string, child?: string): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined) parts.push(child);
  let out = '';
  for (const part of parts) out += /^\d+$/.test(part) ? `[${part}]` : out ? `.${part}` : part;
  return out;
}

// `pattern` duplicates `format` on dates/instants (the format message is the clearer one), and
// `if` only wraps its branch's errors.
function isUseful(e: ErrorObject, formatFailed: Set<string>): boolean {
  if (e.keyword === 'pattern' && formatFailed.has(e.instancePath)) return false;
  return e.keyword !== 'if';
}

function toIssue(e: ErrorObject): OperationOutcomeIssue {
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'required' || e.keyword === 'additionalProperties') {
    const name = String(e.keyword === 'required' ? params.missingProperty : params.additionalProperty);
    const parent = toFieldPath(e.instancePath) || 'the record';
    return issue({
      code: e.keyword === 'required' ? 'required' : 'structure',
      expression: toFieldPath(e.instancePath, name),
      text:
        e.keyword === 'required'
          ? `${toFieldPath(e.instancePath, name)} is required`
          : `${name} is not a known field of ${parent}; unknown fields are refused, not dropped`,
    });
  }
  const field = toFieldPath(e.instancePath);
  const code = e.keyword === 'type' ? 'structure' : e.keyword === 'minProperties' ? 'required' : 'value';
  // An error on the record itself has no field to name.
  return issue({
    code,
    expression: field || undefined,
    text: `${field || 'the record'} ${describe(e, params)}`,
  });
}

function describe(e: ErrorObject, params: Record<string, unknown>): string {
  switch (e.keyword) {
    case 'format':
      return `is not a valid ${FORMAT_WORDS[String(params.format)] ?? String(params.format)}`;
    case 'pattern': {
      // The schema's own description says what form is expected ("A 10-digit National Provider Identifier.").
      const description = (e.parentSchema as { description?: string } | undefined)?.description;
      return description ? `is not in the expected form: ${description}` : 'is not in the expected form';
    }
    case 'maxLength':
      return `is too long (at most ${String(params.limit)} characters)`;
    case 'minLength':
      return 'must not be empty';
    case 'minItems':
      return `needs at least ${String(params.limit)} item(s)`;
    case 'maxItems':
      return `has too many items (at most ${String(params.limit)})`;
    case 'uniqueItems':
      return 'must not repeat a value';
    case 'minProperties': {
      const names = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return names.length > 0 ? `needs at least one of: ${names.join(', ')}` : 'needs at least one field';
    }
    case 'type':
      return `must be ${article(String(params.type))}`;
    case 'enum':
      return `must be one of: ${(params.allowedValues as unknown[]).join(', ')}`;
    case 'minimum':
    case 'maximum':
      return `must be ${e.keyword === 'minimum' ? 'at least' : 'at most'} ${String(params.limit)}`;
    default:
      return e.message ?? 'is invalid';
  }
}

const FORMAT_WORDS: Record<string, string> = {
  date: 'calendar date (YYYY-MM-DD)',
  'date-time': 'instant with seconds and a time zone (e.g. 2026-11-02T16:20:00-08:00)',
  uri: 'absolute URI',
  email: 'email address',
};

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

// A value failing both `format` and `pattern` would be reported twice; keep the first per field.
function dedupe(issues: OperationOutcomeIssue[]): OperationOutcomeIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.code}|${(i.expression ?? []).join(',')}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
