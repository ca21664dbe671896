/** What an API key may do (DESIGN.md §8 "Scopes"). */
export type Scope = 'ingest' | 'validate' | 'ops' | 'audit';

/**
 * Every scope, in the order README lists them: `ingest` — record endpoints and `POST /fhir`;
 * `validate` — `$validate`; `ops` — outbox list/retry, `/metrics`, the dashboard's queue views
 * (`/outbox/summary`, `/referrals/{id}`) and a referral's messages; `audit` — disclosure logs.
 */
export const SCOPES: readonly Scope[] = ['ingest', 'validate', 'ops', 'audit'];

/**
 * Whether a key may see what destinations answered (a row's last outcome): DESIGN.md §6 "error
 * bodies … are shown only to `ops`/`audit` keys" — an `ingest` key sees states, not evidence.
 */
export function seesEvidence(scopes: readonly Scope[]): boolean {
  return scopes.includes('ops') || scopes.includes('audit');
}
