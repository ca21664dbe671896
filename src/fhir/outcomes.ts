import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

/**
 * The one way kap-bridge builds OperationOutcomes. Issue codes are the R4 IssueType codes
 * (http://hl7.org/fhir/R4/valueset-issue-type.html); `expression` names the element at fault.
 */
export type IssueCode = OperationOutcomeIssue['code'];
export type IssueSeverity = OperationOutcomeIssue['severity'];

export interface IssueInput {
  severity?: IssueSeverity;
  code: IssueCode;
  /** A sentence a person can act on: what is wrong, and why. */
  text: string;
  /** FHIRPath (FHIR resources) or JSON path (practice records) to the element at fault. */
  expression?: string | string[];
}

/** Builds one issue. Severity defaults to `error`. */
export function issue(input: IssueInput): OperationOutcomeIssue {
  const out: OperationOutcomeIssue = {
    severity: input.severity ?? 'error',
    code: input.code,
    details: { text: input.text },
  };
  if (input.expression !== undefined) {
    out.expression = Array.isArray(input.expression) ? input.expression : [input.expression];
  }
  return out;
}

/** Wraps issues into an OperationOutcome. An empty list becomes one `informational` "all OK". */
export function outcome(issues: OperationOutcomeIssue[]): OperationOutcome {
  if (issues.length === 0) return allOk();
  return { resourceType: 'OperationOutcome', issue: issues };
}

/** The "no problems" outcome. */
export function allOk(text = 'All OK'): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'information', code: 'informational', details: { text } }],
  };
}

/** True when any issue is `error` or `fatal`. */
export function hasErrors(oo: OperationOutcome | OperationOutcomeIssue[]): boolean {
  const issues = Array.isArray(oo) ? oo : (oo.issue ?? []);
  return issues.some((i) => i.severity === 'error' || i.severity === 'fatal');
}

/** A single-issue error outcome. */
export function errorOutcome(
  code: IssueCode,
  text: string,
  expression?: string | string[],
): OperationOutcome {
  return outcome([issue({ code, text, expression })]);
}
