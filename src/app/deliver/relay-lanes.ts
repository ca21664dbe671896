import type { OutboxRow } from '../ports/store-port';
import type { AttemptResult } from '../../outbox/attempt-result';
import { emptySummary, SUMMARY_FIELD, type RelayDeps, type RunSummary } from './relay-types';

/**
 * How the relay works its leased rows (DESIGN.md §6): in lanes — one resource's rows for one
 * destination, pushed in version order by one worker — several lanes at a time. The attempt on
 * one row (decide, push, record) is the relay's (relay.ts).
 */

/**
 * One row's attempt, whatever it ends in; `shared` is what the rows leased together share (made
 * once per lease by the caller's `share`).
 */
type Attempt<S> = (row: OutboxRow, shared: S) => Promise<AttemptResult>;

/** A lane and what its lease shares. */
interface Lane<S> {
  rows: OutboxRow[];
  shared: S;
}

/** Rows worked at once: more workers than a destination's push slots (relay.ts). */
const DEFAULT_CONCURRENCY = 8;

/** Lease: takes the due rows and works their lanes, a bounded number at a time. */
export async function runLeased<S>(
  deps: RelayDeps,
  limit: number,
  attempt: Attempt<S>,
  share: () => S,
): Promise<RunSummary> {
  const rows = await deps.store.leaseDue(deps.clock(), limit, deps.config.owner, deps.config.leaseMs);
  const summary = emptySummary();
  summary.leased = rows.length;
  const lanes = lanesOf(rows);
  const shared = share();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < lanes.length) {
      for (const row of lanes[next++] ?? []) summary[SUMMARY_FIELD[await attempt(row, shared)]]++;
    }
  };
  const width = Math.max(1, Math.min(deps.config.concurrency ?? DEFAULT_CONCURRENCY, lanes.length));
  await Promise.all(Array.from({ length: width }, worker));
  return summary;
}

/**
 * Drain: rows are worked `concurrency` lanes at a time, and the next batch is leased while the
 * current one is pushed (issue 12: waiting for a batch's slowest row before leasing the next left
 * the destination idle). A lane (one resource's versions for one destination) is never worked by
 * two workers at once, across batches too. Ends when a lease finds nothing due and no row is
 * being worked (a row that failed and is due again is taken, as `runOnce` after `runOnce` did).
 */
export async function drainPipelined<S>(
  deps: RelayDeps,
  limit: number,
  attempt: Attempt<S>,
  share: () => S,
): Promise<RunSummary> {
  const width = Math.max(1, deps.config.concurrency ?? DEFAULT_CONCURRENCY);
  const total = emptySummary();
  const waiting: Array<Lane<S>> = [];
  const busy = new Set<string>();
  let leasing: Promise<number> | undefined;
  let finished = 0; // lanes finished so far
  let emptyAfter = -1; // `finished` when a lease last found nothing due
  let laneDone: (() => void) | undefined;
  let nextLaneDone = new Promise<void>((resolve) => (laneDone = resolve));

  const lease = (): Promise<number> =>
    (leasing ??= (async () => {
      try {
        const rows = await deps.store.leaseDue(deps.clock(), limit, deps.config.owner, deps.config.leaseMs);
        total.leased += rows.length;
        const shared = share();
        waiting.push(...lanesOf(rows).map((lane) => ({ rows: lane, shared })));
        if (rows.length === 0) emptyAfter = finished;
        return rows.length;
      } finally {
        leasing = undefined;
      }
    })());
  const take = (): Lane<S> | undefined => {
    const i = waiting.findIndex((lane) => !busy.has(laneKey(lane.rows[0] as OutboxRow)));
    return i < 0 ? undefined : waiting.splice(i, 1)[0];
  };
  const worker = async (): Promise<void> => {
    for (;;) {
      // Lease ahead, unless the last lease found nothing and no lane has finished since.
      if (!leasing && waiting.length < width && emptyAfter !== finished) void lease().catch(() => undefined);
      const lane = take();
      if (!lane) {
        if (leasing) await leasing;
        else if (busy.size > 0) await nextLaneDone;
        else if ((await lease()) === 0 && busy.size === 0 && waiting.length === 0) return;
        continue;
      }
      const key = laneKey(lane.rows[0] as OutboxRow);
      busy.add(key);
      try {
        for (const row of lane.rows) total[SUMMARY_FIELD[await attempt(row, lane.shared)]]++;
      } finally {
        busy.delete(key);
        finished++;
        laneDone?.();
        nextLaneDone = new Promise<void>((resolve) => (laneDone = resolve));
      }
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return total;
}

/** A lane's key: one resource for one destination. */
function laneKey(row: OutboxRow): string {
  return `${row.destinationId} ${row.resourceType}/${row.resourceId}`;
}

/**
 * Rows grouped by destination and resource, in lease order (earliest deadline first), versions
 * ascending within a lane: two versions of one resource (a Consent and its revocation) are never
 * pushed at the same time, so the destination ends with the newest.
 */
function lanesOf(rows: OutboxRow[]): OutboxRow[][] {
  const lanes = new Map<string, OutboxRow[]>();
  for (const row of rows) {
    const key = laneKey(row);
    const lane = lanes.get(key) ?? [];
    lane.push(row);
    lanes.set(key, lane);
  }
  return [...lanes.values()].map((lane) => lane.sort((a, b) => a.resourceVersion - b.resourceVersion));
}
