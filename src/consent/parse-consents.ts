import type { Consent, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue, outcome } from '../fhir/outcomes';
import type { ParseResult } from './parse-request';
import { isJsonObject } from '../fhir/json-object';

/**
 * Reads the consents given to `consent decide` (DESIGN.md §8): a JSON array of Consent
 * resources, a Bundle (Consent entries are taken, other entries — Patients and the like — are
 * skipped), or one Consent. An array member that is not a Consent is refused, since the caller
 * clearly meant it as one.
 */
export function parseConsents(input: unknown): ParseResult<Consent[]> {
  if (Array.isArray(input)) {
    const issues: OperationOutcomeIssue[] = [];
    input.forEach((item, i) => {
      if (!isConsent(item)) {
        issues.push(issue({ code: 'structure', text: 'Not a Consent resource.', expression: `[${i}]` }));
      }
    });
    return issues.length ? { ok: false, outcome: outcome(issues) } : { ok: true, value: input as Consent[] };
  }
  if (isConsent(input)) return { ok: true, value: [input] };
  if (isJsonObject(input) && input.resourceType === 'Bundle') {
    if (input.entry !== undefined && !Array.isArray(input.entry)) {
      return refuse('Bundle.entry must be an array.', 'Bundle.entry');
    }
    const entries: unknown[] = (input.entry as unknown[] | undefined) ?? [];
    const consents = entries
      .map((e) => (isJsonObject(e) ? e.resource : undefined))
      .filter((r): r is Consent => isConsent(r));
    return { ok: true, value: consents };
  }
  return refuse('Expected a JSON array of Consent resources or a Bundle.', '$');
}

function refuse(text: string, expression: string): ParseResult<Consent[]> {
  return { ok: false, outcome: outcome([issue({ code: 'structure', text, expression })]) };
}

function isConsent(v: unknown): v is Consent {
  return isJsonObject(v) && v.resourceType === 'Consent' && typeof v.status === 'string';
}
