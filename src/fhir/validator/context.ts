import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { ProfileCache } from './profile-cache';
import type { NumberLexemes } from './strict-json';
import type { Terminology } from './terminology';
import type { ValidateOptions } from './options';

/** What every check needs: where to put issues, the options, and the loaded definitions. */
export interface CheckContext {
  issues: OperationOutcomeIssue[];
  options: ValidateOptions;
  terminology: Terminology;
  profiles: ProfileCache;
  /** Literal text of non-integer numbers, when the resource came from `parseStrictJson`. */
  lexemes?: NumberLexemes;
}

/** Appends ` (profile <url>)` so a person sees which profile's rule failed (DESIGN.md §4). */
export function withProfile(text: string, profile: string | undefined): string {
  return profile ? `${text} (profile ${profile})` : text;
}
