import type { OutboxFilter, OutboxRow, Store } from './ports/store-port';

/** Operator actions on the outbox (DESIGN.md §6: list, retry, replay — per item or destination). */
export interface OutboxOperations {
  list(filter?: OutboxFilter): Promise<OutboxRow[]>;
  /** Queues a dead / waiting / withheld / cancelled row again; null when it is not retryable. */
  retry(id: string): Promise<OutboxRow | null>;
  retryDestination(destinationId: string): Promise<OutboxRow[]>;
  /** Queues a delivered row again (conditional operations keep the destination's copy single). */
  replay(id: string): Promise<OutboxRow | null>;
  get(id: string): Promise<OutboxRow | null>;
}

/** Binds the outbox operations to the store and clock. */
export function createOutboxOperations(deps: { store: Store; clock: () => Date }): OutboxOperations {
  const { store, clock } = deps;
  return {
    list: (filter) => store.listOutbox(filter),
    retry: (id) => store.retryOutbox(id, clock()),
    retryDestination: (id) => store.retryDestination(id, clock()),
    replay: (id) => store.replayOutbox(id, clock()),
    get: (id) => store.getOutbox(id),
  };
}
