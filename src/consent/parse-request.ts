import type {
  Coding,
  Identifier,
  OperationOutcome,
  OperationOutcomeIssue,
  Reference,
} from '@medplum/fhirtypes';
import { issue, outcome } from '../fhir/outcomes';
import { isFhirDateTime, isFhirInstant } from './time-zone';
import type { DisclosureRequest } from './types';
import { isJsonObject } from '../fhir/json-object';

/** A parsed value, or the OperationOutcome saying why the input was refused. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; outcome: OperationOutcome };

const KNOWN = new Set([
  'patient',
  'actor',
  'actorRole',
  'action',
  'purpose',
  'class',
  'codes',
  'securityLabels',
  'dataDate',
  'at',
]);

/**
 * Parses a consent decide request (DESIGN.md §8). Unknown members are refused rather than
 * dropped: a misspelt `purpose` silently ignored would change what the engine decides.
 */
export function parseDisclosureRequest(input: unknown): ParseResult<DisclosureRequest> {
  if (!isJsonObject(input)) {
    return refuse([
      issue({ code: 'structure', text: 'The request must be a JSON object.', expression: '$' }),
    ]);
  }
  const issues: OperationOutcomeIssue[] = [];
  for (const key of Object.keys(input)) {
    if (!KNOWN.has(key))
      issues.push(issue({ code: 'structure', text: `Unknown member "${key}".`, expression: key }));
  }
  const req: DisclosureRequest = {
    patient: readReference(input.patient, 'patient', issues, true) ?? {},
    actor: readReference(input.actor, 'actor', issues, true) ?? {},
  };
  if (input.actorRole !== undefined) req.actorRole = readCoding(input.actorRole, 'actorRole', issues);
  if (input.action !== undefined) req.action = readCode(input.action, 'action', issues);
  if (input.purpose !== undefined) req.purpose = readCode(input.purpose, 'purpose', issues);
  if (input.class !== undefined) {
    if (typeof input.class === 'string' && /^[A-Z][A-Za-z]+$/.test(input.class)) req.class = input.class;
    else
      issues.push(
        issue({ code: 'value', text: 'class must be a FHIR resource type name.', expression: 'class' }),
      );
  }
  if (input.codes !== undefined) req.codes = readCodings(input.codes, 'codes', issues);
  if (input.securityLabels !== undefined)
    req.securityLabels = readCodings(input.securityLabels, 'securityLabels', issues);
  if (input.dataDate !== undefined) {
    if (typeof input.dataDate === 'string' && isFhirDateTime(input.dataDate)) req.dataDate = input.dataDate;
    else issues.push(issue({ code: 'value', text: 'dataDate must be a FHIR date.', expression: 'dataDate' }));
  }
  if (input.at !== undefined) {
    if (typeof input.at === 'string' && isFhirInstant(input.at)) req.at = input.at;
    else
      issues.push(
        issue({
          code: 'value',
          text: 'at must be a FHIR instant (with seconds and offset).',
          expression: 'at',
        }),
      );
  }
  return issues.length > 0 ? refuse(issues) : { ok: true, value: req };
}

function refuse(issues: OperationOutcomeIssue[]): { ok: false; outcome: OperationOutcome } {
  return { ok: false, outcome: outcome(issues) };
}

function isText(v: unknown): v is string {
  return typeof v === 'string' && v.trim().length > 0;
}

function readReference(
  v: unknown,
  path: string,
  issues: OperationOutcomeIssue[],
  required: boolean,
): Reference | undefined {
  if (v === undefined && !required) return undefined;
  if (!isJsonObject(v)) {
    const text = v === undefined ? `${path} is required.` : `${path} must be a Reference.`;
    issues.push(issue({ code: v === undefined ? 'required' : 'structure', text, expression: path }));
    return undefined;
  }
  const ref: Reference = {};
  if (isText(v.reference)) ref.reference = v.reference;
  if (isJsonObject(v.identifier) && isText(v.identifier.system) && isText(v.identifier.value)) {
    ref.identifier = { system: v.identifier.system, value: v.identifier.value } satisfies Identifier;
  }
  if (typeof v.display === 'string') ref.display = v.display;
  if (!ref.reference && !ref.identifier) {
    const text = `${path} needs a "reference" or an "identifier" with system and value.`;
    issues.push(issue({ code: 'required', text, expression: path }));
  }
  return ref;
}

function readCoding(v: unknown, path: string, issues: OperationOutcomeIssue[]): Coding | undefined {
  if (!isJsonObject(v) || !isText(v.code) || (v.system !== undefined && !isText(v.system))) {
    issues.push(
      issue({ code: 'structure', text: `${path} must be a Coding with a code.`, expression: path }),
    );
    return undefined;
  }
  const c: Coding = { code: v.code };
  if (isText(v.system)) c.system = v.system;
  if (typeof v.display === 'string') c.display = v.display;
  return c;
}

function readCode(v: unknown, path: string, issues: OperationOutcomeIssue[]): string | Coding | undefined {
  if (isText(v)) return v;
  return readCoding(v, path, issues);
}

function readCodings(v: unknown, path: string, issues: OperationOutcomeIssue[]): Coding[] {
  if (!Array.isArray(v)) {
    issues.push(issue({ code: 'structure', text: `${path} must be an array of Codings.`, expression: path }));
    return [];
  }
  const out: Coding[] = [];
  v.forEach((item, i) => {
    const c = readCoding(item, `${path}[${i}]`, issues);
    if (c) out.push(c);
  });
  return out;
}
