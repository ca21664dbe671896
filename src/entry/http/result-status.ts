/**
 * The HTTP status of every use-case result the API answers (DESIGN.md §8): what was done, or why
 * it was refused. Refusals are named by their OperationOutcome IssueType code, so the status
 * follows from the outcome, as medplum's `sendOutcome` does.
 */
export const RESULT_STATUS = {
  created: 201,
  updated: 200,
  // Re-posting the same record is idempotent (DESIGN.md §8).
  unchanged: 200,
  processed: 200,
  retried: 200,
  rejected: 422,
  conflict: 409,
  forbidden: 403,
  'not-found': 404,
  'too-long': 413,
} as const;

/** A result (or refusal) the API has a status for. */
export type ResultStatus = keyof typeof RESULT_STATUS;
