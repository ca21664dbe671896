/** What an API key may do (DESIGN.md §8 "Scopes"). */
export type Scope = 'ingest' | 'validate' | 'ops' | 'audit';

/**
 * Every scope, in the order README lists them: `ingest` — record endpoints and `POST /fhir`;
 * `validate` — `$validate`; `ops` — outbox list/retry and `/metrics`; `audit` — disclosure logs.
 */
export const SCOPES: readonly Scope[] = ['ingest', 'validate', 'ops', 'audit'];
