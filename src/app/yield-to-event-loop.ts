import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Lets queued I/O callbacks (other requests, health checks) run before the next piece of long
 * work: one request never blocks the service for other callers (DESIGN.md §8).
 */
export function yieldToEventLoop(): Promise<void> {
  return nextTurn();
}
