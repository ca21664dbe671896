import { integrationWindowStatus, type WindowStatus } from '../../domain/integration-window';
import { OUTBOX_STATES, STATE, UNDELIVERED_STATES, type OutboxState } from '../../outbox';
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
  items: SummaryItem[];
}

export interface SummaryItem {
  row: OutboxRow;
  source: RecordSource | null;
  /** Why a failed or retrying row is not delivered: its last attempt. */
  lastAttempt?: DeliveryAttempt;
  /**
   * For a row that may still reach the clinician (`UNDELIVERED_STATES`) and has a deadline: its
   * integration window now (DESIGN.md §6: `at-risk` with less than 24 h left, `late` after).
   */
  window?: WindowStatus;
}

/**
 * Rows whose last attempt says why they are not delivered: the dashboard puts the destination's
 * answer (its HTTP status, in plain words) next to them.
 */
const EXPLAINED_BY_ATTEMPT: readonly OutboxState[] = [STATE.dead, STATE.retryWait];

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
  const now = deps.clock();
  const items = await Promise.all(
    rows.map(async (row): Promise<SummaryItem> => {
      const item: SummaryItem = { row, source: sources.get(`${row.resourceType}/${row.resourceId}`) ?? null };
      if (row.deadline && UNDELIVERED_STATES.includes(row.state))
        item.window = integrationWindowStatus(row.deadline, now);
      if (!EXPLAINED_BY_ATTEMPT.includes(row.state) || row.attempts === 0) return item;
      const lastAttempt = (await deps.store.listAttempts(row.id)).at(-1);
      return lastAttempt ? { ...item, lastAttempt } : item;
    }),
  );
  return { counts, items };
}
