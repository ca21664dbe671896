/**
 * The scheduled sync (DESIGN.md §6): a safety net that drains due outbox rows on a cron schedule
 * (`KAP_BRIDGE_SYNC_CRON`, default every minute). Single-flight: a tick that finds a sync still
 * running does nothing, so a slow destination never stacks syncs on top of each other. The cron
 * engine is injected (node-cron in production, a hand-driven one in tests).
 */

/** Every minute (node-cron's five-field syntax). */
export const DEFAULT_SYNC_CRON = '* * * * *';

/** What the scheduler needs of a cron engine; `cronEngine()` wraps node-cron. */
export interface CronEngine {
  /** Calls `tick` on every match of `expression`; returns a handle that stops it. */
  schedule(expression: string, tick: () => void): { stop(): void };
}

export interface SyncSchedulerDeps<T> {
  /** One sync (the relay's drain). */
  sync: () => Promise<T>;
  cron: CronEngine;
  expression?: string;
  /** Told about each tick's result: a summary, `skipped` (a sync was running) or an error. */
  onTick?: (event: TickEvent<T>) => void;
}

export type TickEvent<T> =
  { kind: 'completed'; result: T } | { kind: 'skipped' } | { kind: 'failed'; error: unknown };

export interface SyncScheduler<T> {
  start(): void;
  /** Stops the schedule and waits for a running sync to finish. */
  stop(): Promise<void>;
  /** Runs one tick now (what the cron calls); resolves when that tick is done. */
  tick(): Promise<TickEvent<T>>;
  /** True while a sync is running. */
  readonly running: boolean;
}

/** Builds the single-flight scheduler. */
export function createSyncScheduler<T>(deps: SyncSchedulerDeps<T>): SyncScheduler<T> {
  let current: Promise<TickEvent<T>> | null = null;
  let handle: { stop(): void } | null = null;

  async function runSync(): Promise<TickEvent<T>> {
    try {
      return { kind: 'completed', result: await deps.sync() };
    } catch (error) {
      return { kind: 'failed', error };
    } finally {
      current = null;
    }
  }

  function tick(): Promise<TickEvent<T>> {
    if (current) {
      const skipped: TickEvent<T> = { kind: 'skipped' };
      deps.onTick?.(skipped);
      return Promise.resolve(skipped);
    }
    current = runSync().then((event) => {
      deps.onTick?.(event);
      return event;
    });
    return current;
  }

  return {
    start() {
      if (handle) return;
      handle = deps.cron.schedule(deps.expression ?? DEFAULT_SYNC_CRON, () => void tick());
    },
    async stop() {
      handle?.stop();
      handle = null;
      if (current) await current;
    },
    tick,
    get running() {
      return current !== null;
    },
  };
}
