import type { OperationOutcome } from '@medplum/fhirtypes';
import { allOk, errorOutcome } from '../fhir/outcomes';
import { listStates, RETRYABLE_STATES, type OutboxState } from '../outbox';
import { listOutboxAudited, type AccessReader } from './audited-reads';
import type { OutboxFilter, OutboxRow, Store } from './ports/store-port';

/**
 * Operator actions on the outbox (DESIGN.md §6: list, retry, replay — per item or destination),
 * one set for HTTP (`GET /outbox`, `POST /outbox/{id}/retry`) and the CLI (`outbox list|retry|replay`),
 * so both answer the same: the entry points only print or serialise what these decide.
 */
export interface OutboxOperations {
  /**
   * The rows matching `filter`, after the read is audited (who, the filter, every client listed;
   * 45 CFR 164.312(b)).
   */
  list(filter: OutboxFilter, reader: AccessReader | string): Promise<OutboxRow[]>;
  /** Queues a row in one of `RETRYABLE_STATES` again; says why not otherwise. */
  retry(id: string): Promise<RetryOutcome>;
  /** Queues every retryable row of a destination again; the rows queued. */
  retryDestination(destinationId: string): Promise<OutboxRow[]>;
  /** Queues a delivered row again (conditional operations keep the destination's copy single). */
  replay(id: string): Promise<OutboxRow | null>;
  get(id: string): Promise<OutboxRow | null>;
}

/**
 * What an operator's retry did. A row that exists but is not in a retryable state is a
 * `conflict` (its state forbids the action, not the request's shape), naming the states that allow it.
 */
export type RetryOutcome =
  | { status: 'retried'; row: OutboxRow; outcome: OperationOutcome }
  | { status: 'not-found'; outcome: OperationOutcome }
  | { status: 'conflict'; state: OutboxState; outcome: OperationOutcome };

/** Binds the outbox operations to the store and clock. */
export function createOutboxOperations(deps: { store: Store; clock: () => Date }): OutboxOperations {
  const { store, clock } = deps;
  return {
    list: (filter, reader) => listOutboxAudited(deps, filter, reader),
    retry: (id) => retryOutboxRow(deps, id),
    retryDestination: (id) => store.retryDestination(id, clock()),
    replay: (id) => store.replayOutbox(id, clock()),
    get: (id) => store.getOutbox(id),
  };
}

async function retryOutboxRow(deps: { store: Store; clock: () => Date }, id: string): Promise<RetryOutcome> {
  const before = await deps.store.getOutbox(id);
  if (!before)
    return { status: 'not-found', outcome: errorOutcome('not-found', 'No outbox item with this id.') };
  const row = await deps.store.retryOutbox(id, deps.clock());
  if (!row) {
    const text = `An item in state ${before.state} cannot be retried (only ${listStates(RETRYABLE_STATES)}).`;
    return { status: 'conflict', state: before.state, outcome: errorOutcome('conflict', text) };
  }
  // Consent may have changed while the row waited: the relay decides again before it sends.
  return {
    status: 'retried',
    row,
    outcome: allOk('queued again; the relay re-checks consent before sending'),
  };
}
