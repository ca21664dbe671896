import type { TypedValue } from '@medplum/core';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';

/** What the structural checks of one walk share: the issue list, the root, whose rules apply. */
export interface StructureScope {
  issues: OperationOutcomeIssue[];
  /** The validated resource (FHIRPath `%rootResource`), when the root is a resource. */
  root: TypedValue | undefined;
  /** Whose definition failed, e.g. `profile <url>` or `extension <url>`; none for the base. */
  label: string | undefined;
  /** The resource type a loaded profile constrains (a reference's target profile), if known. */
  profileType?: (url: string) => string | undefined;
}

/** Appends ` (<label>)` so a person sees which profile or extension rule failed (DESIGN.md §4). */
export function labelled(text: string, scope: Pick<StructureScope, 'label'>): string {
  return scope.label ? `${text} (${scope.label})` : text;
}
