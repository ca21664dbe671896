import { OperationOutcomeError } from '@medplum/core';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';

/**
 * Runs a `@medplum/core` validation and returns all its issues. medplum returns warnings but
 * throws an OperationOutcomeError holding every issue once one is an error (DESIGN.md §4).
 */
export function collectIssues(run: () => OperationOutcomeIssue[]): OperationOutcomeIssue[] {
  try {
    return run();
  } catch (err) {
    if (err instanceof OperationOutcomeError) return err.outcome.issue ?? [];
    throw err;
  }
}
