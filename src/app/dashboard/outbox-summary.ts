import { OUTBOX_STATES, type OutboxState } from '../../outbox';
import { listOutboxAudited, type AccessReader, type AuditedReadDeps } from '../audited-reads';
import type { DeliveryAttempt, OutboxFilter, OutboxRow } from '../ports/store-port';
import { recordSources, type RecordSource } from './record-sources';

/**
 * The dashboard's queue (DESIGN.md §6 states; §8 "the dashboard's queue views", scope `ops`):
 * every row matching a destination and/or client filter, the count in each state, and for each
 * row the referral and session it belongs to, so a person finds "the update from Tuesday's
 * session" without knowing FHIR ids. One audited read (45 CFR 164.312(b)): the same AuditEvent
 * as `GET /outbox`, naming every client whose rows were returned.
 */
export interface OutboxSummary {
  /** Rows per state, every state named (0 for none). */
  counts: Record<OutboxState, number>;
  items: Array<{ row: OutboxRow; source: RecordSource | null; lastAttempt?: DeliveryAttempt }>;
}

/**
 * Rows whose last attempt says why they are not delivered: the dashboard puts the destination's
 * answer (its HTTP status, in plain words) next to them.
 */
const EXPLAINED_BY_ATTEMPT: readonly OutboxState[] = ['dead', 'retry-wait'];

/** Reads the rows of `filter` (audited), counts them by state and names their records. */
export async function readOutboxSummary(
  deps: AuditedReadDeps,
  filter: Omit<OutboxFilter, 'state'>,
  reader: AccessReader | string,
): Promise<OutboxSummary> {
  const rows = await listOutboxAudited(deps, filter, reader);
  const sources = await recordSources(deps.store, filter.patientMrn);
  const counts = Object.fromEntries(OUTBOX_STATES.map((s) => [s, 0])) as Record<OutboxState, number>;
  for (const row of rows) counts[row.state] += 1;
  const items = await Promise.all(
    rows.map(async (row) => {
      const source = sources.get(`${row.resourceType}/${row.resourceId}`) ?? null;
      if (!EXPLAINED_BY_ATTEMPT.includes(row.state) || row.attempts === 0) return { row, source };
      const lastAttempt = (await deps.store.listAttempts(row.id)).at(-1);
      return lastAttempt ? { row, source, lastAttempt } : { row, source };
    }),
  );
  return { counts, items };
}
