import {
  createSyncScheduler,
  DEFAULT_SYNC_CRON,
  type CronEngine,
} from '../../src/entry/schedule/sync-scheduler';
import { isValidCron, nodeCronEngine } from '../../src/entry/schedule/node-cron-engine';

/** A cron engine driven by the test: `fire()` is one schedule match. */
function handCron() {
  const ticks: Array<() => void> = [];
  let stopped = 0;
  const engine: CronEngine = {
    schedule(expression, tick) {
      expect(isValidCron(expression)).toBe(true);
      ticks.push(tick);
      return { stop: () => void stopped++ };
    },
  };
  return {
    engine,
    fire: () => ticks.forEach((t) => t()),
    scheduled: () => ticks.length,
    stopped: () => stopped,
  };
}

/** A sync the test finishes by hand. */
function gatedSync() {
  const gates: Array<() => void> = [];
  let calls = 0;
  return {
    sync: () => {
      calls++;
      return new Promise<number>((resolve) => gates.push(() => resolve(calls)));
    },
    release: () => gates.shift()?.(),
    calls: () => calls,
  };
}

describe('sync scheduler', () => {
  test('a tick that finds a sync still running does nothing (single-flight); the next tick after it ends runs again', async () => {
    const cron = handCron();
    const s = gatedSync();
    const events: string[] = [];
    const scheduler = createSyncScheduler({
      sync: s.sync,
      cron: cron.engine,
      onTick: (e) => events.push(e.kind),
    });
    scheduler.start();
    expect(cron.scheduled()).toBe(1);
    cron.fire();
    cron.fire();
    cron.fire();
    expect(s.calls()).toBe(1);
    expect(scheduler.running).toBe(true);
    expect(events).toEqual(['skipped', 'skipped']);
    s.release();
    await new Promise((r) => setImmediate(r));
    expect(scheduler.running).toBe(false);
    expect(events).toEqual(['skipped', 'skipped', 'completed']);
    cron.fire();
    expect(s.calls()).toBe(2);
    s.release();
    await scheduler.stop();
    expect(cron.stopped()).toBe(1);
  });

  test('a failing sync is reported and does not wedge the scheduler', async () => {
    let n = 0;
    const scheduler = createSyncScheduler({
      sync: () => (++n === 1 ? Promise.reject(new Error('store down')) : Promise.resolve(n)),
      cron: handCron().engine,
    });
    expect(await scheduler.tick()).toMatchObject({ kind: 'failed' });
    expect(await scheduler.tick()).toEqual({ kind: 'completed', result: 2 });
  });

  test('stop waits for the running sync to finish', async () => {
    const s = gatedSync();
    const scheduler = createSyncScheduler({ sync: s.sync, cron: handCron().engine });
    void scheduler.tick();
    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    s.release();
    await stopping;
    expect(stopped).toBe(true);
  });

  test('the default schedule is every minute and node-cron accepts it; a malformed expression is refused', () => {
    expect(DEFAULT_SYNC_CRON).toBe('* * * * *');
    expect(isValidCron(DEFAULT_SYNC_CRON)).toBe(true);
    expect(isValidCron('every minute')).toBe(false);
    const handle = nodeCronEngine('America/Los_Angeles').schedule('0 0 1 1 *', () => undefined);
    handle.stop();
  });
});
