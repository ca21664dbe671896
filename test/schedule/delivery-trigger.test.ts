import { createDeliveryTrigger, type DeliveryTrigger } from '../../src/entry/schedule/delivery-trigger';
import { createSyncScheduler, type SyncScheduler } from '../../src/entry/schedule/sync-scheduler';

/**
 * The ingest-triggered sync over the real single-flight scheduler: each sync is a promise the
 * test resolves by hand, so "a sync is running" is a fact, not a timing guess.
 */

const tick = () => new Promise((r) => setTimeout(r, 40)); // longer than the 5 ms debounce

let syncs: Array<() => void>;
let scheduler: SyncScheduler<void>;
let trigger: DeliveryTrigger;

beforeEach(() => {
  syncs = [];
  scheduler = createSyncScheduler<void>({
    sync: () => new Promise<void>((resolve) => syncs.push(resolve)),
    cron: { schedule: () => ({ stop() {} }) },
    onTick: (e) => {
      if (e.kind !== 'skipped') trigger.syncEnded();
    },
  });
  trigger = createDeliveryTrigger({
    tick: () => scheduler.tick(),
    running: () => scheduler.running,
    debounceMs: 5,
  });
});
afterEach(() => trigger.stop());

test('kicks close together start one sync, not one each', async () => {
  trigger.kick();
  trigger.kick();
  trigger.kick();
  await tick();
  expect(syncs).toHaveLength(1);
});

test('a kick while a sync runs starts exactly one more sync when it ends (that sync may have missed the new rows)', async () => {
  trigger.kick();
  await tick();
  expect(syncs).toHaveLength(1);
  trigger.kick();
  trigger.kick();
  await tick();
  expect(syncs).toHaveLength(1); // never two at once
  syncs[0]!();
  await tick();
  expect(syncs).toHaveLength(2);
  syncs[1]!();
  await tick();
  expect(syncs).toHaveLength(2); // nothing pending: no third sync
});

test('a kick during a cron sync is honoured after it', async () => {
  void scheduler.tick(); // the cron's tick
  trigger.kick();
  await tick();
  expect(syncs).toHaveLength(1);
  syncs[0]!();
  await tick();
  expect(syncs).toHaveLength(2);
  syncs[1]!();
});

test('after stop (shutdown), kicks start nothing', async () => {
  trigger.stop();
  trigger.kick();
  await tick();
  expect(syncs).toHaveLength(0);
});
