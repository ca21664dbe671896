import type { TickEvent } from './sync-scheduler';

/**
 * "Ingest also triggers delivery at once" (DESIGN.md §6). After an ingest commits rows, the
 * caller `kick()`s: a sync starts a moment later (kicks within `debounceMs` share one sync) and
 * the HTTP response never waits for it. The sync goes through the scheduler's single-flight
 * `tick()`, so a kick never runs a second sync beside the cron's; a kick that lands while a sync
 * is running is remembered and runs once more when that sync ends — the running sync may have
 * leased its last rows before this ingest committed.
 */
export interface DeliveryTrigger {
  /** Asks for a sync soon. Returns at once. */
  kick(): void;
  /** Tell the trigger a sync ended (the scheduler's `onTick` for `completed`/`failed`). */
  syncEnded(): void;
  /** No more syncs from kicks (shutdown); a sync already running is the scheduler's to wait for. */
  stop(): void;
}

export interface DeliveryTriggerDeps {
  /** The scheduler's single-flight tick. */
  tick: () => Promise<TickEvent<unknown>>;
  /** True while a sync (cron's or a kick's) is running. */
  running: () => boolean;
  /** Kicks closer together than this share one sync (default 20 ms). */
  debounceMs?: number;
}

/** Builds the trigger over a single-flight tick. */
export function createDeliveryTrigger(deps: DeliveryTriggerDeps): DeliveryTrigger {
  const debounceMs = deps.debounceMs ?? 20;
  let pending = false;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const arm = (delayMs: number): void => {
    if (stopped || timer) return;
    timer = setTimeout(fire, delayMs);
    timer.unref(); // a pending kick must not keep a stopping process alive
  };

  function fire(): void {
    timer = undefined;
    // A sync is running: it may have leased its last rows before ours committed, so stay pending;
    // `syncEnded` re-arms when it ends. (Checked and started in one turn of the event loop.)
    if (!pending || stopped || deps.running()) return;
    pending = false;
    void deps.tick();
  }

  return {
    kick() {
      pending = true;
      arm(debounceMs);
    },
    syncEnded() {
      if (pending) arm(0);
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
