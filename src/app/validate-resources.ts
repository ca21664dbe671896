import type { OperationOutcome, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { outcome } from '../fhir/outcomes';
import type { ResourceValidator } from './ports/validator-port';

/** Errors refuse the whole set (one outcome naming each resource); warnings are passed on. */
export type ValidationVerdict =
  { ok: true; warnings: OperationOutcomeIssue[] } | { ok: false; outcome: OperationOutcome };

/**
 * Validates resources that are stored or sent together (DESIGN.md §4: nothing invalid is stored,
 * nothing invalid leaves): a record's mapped resources at ingest, a delivery unit before the push.
 * Each issue's text is prefixed with `label(resource)` so the outcome says which resource failed.
 */
export function validateAll(
  validator: ResourceValidator,
  resources: Resource[],
  label: (resource: Resource) => string = (r) => `${r.resourceType}/${r.id ?? ''}`,
): ValidationVerdict {
  const errors: OperationOutcomeIssue[] = [];
  const warnings: OperationOutcomeIssue[] = [];
  for (const r of resources) {
    for (const i of validator.validate(r).issue ?? []) {
      const named = { ...i, details: { text: `${label(r)}: ${i.details?.text ?? i.diagnostics ?? i.code}` } };
      if (i.severity === 'error' || i.severity === 'fatal') errors.push(named);
      else if (i.severity === 'warning') warnings.push(named);
    }
  }
  return errors.length > 0 ? { ok: false, outcome: outcome(errors) } : { ok: true, warnings };
}
