import { Command, Option } from 'commander';
import type { RunSummary } from '../../../app/deliver/relay';
import type { PullSummary } from '../../../app/pull-replies';
import { syncFromEnv, type DeliveryRuntime } from '../../../bootstrap/compose';

/**
 * `kap-bridge sync [--once]` (DESIGN.md §6, §8): drain the outbox, then read replies from the
 * destinations with `"pullReplies": true` (§6b). `--once` delivers every due
 * item, prints a summary and exits (0; 1 when an item went dead). Without it, syncs on the
 * `KAP_BRIDGE_SYNC_CRON` schedule (default every minute) until SIGINT/SIGTERM; a tick that finds
 * a sync still running does nothing. Uses `DATABASE_URL`, `KAP_BRIDGE_DESTINATIONS`,
 * `KAP_BRIDGE_LEASE_MS`, `KAP_BRIDGE_RETRY_BASE_MS`, `KAP_BRIDGE_RETRY_MAX_ATTEMPTS`.
 */
export function registerSync(program: Command): void {
  program
    .command('sync')
    .description('deliver due outbox items to their destinations (once, or on the sync schedule)')
    .option('--once', 'drain due items once, print a summary and exit')
    .addOption(new Option('--format <format>', 'summary format').choices(['text', 'json']).default('text'))
    .action(async (opts: { once?: boolean; format: 'text' | 'json' }) => {
      const parts = await syncFromEnv();
      const { delivery } = parts;
      try {
        if (delivery.destinations.list().length === 0) {
          console.error(
            'note: no destinations file (KAP_BRIDGE_DESTINATIONS): items wait until one is configured',
          );
        }
        if (opts.once) {
          const summary = await delivery.relay.drain();
          // Replies are read from destinations with "pullReplies": true (DESIGN.md §6b).
          const replies = await delivery.replyPull.pull();
          console.log(formatSummary(summary, opts.format, replies.destinations > 0 ? replies : undefined));
          process.exitCode = summary.dead > 0 || replies.failed.length > 0 ? 1 : 0;
          return;
        }
        await runScheduled(delivery, opts.format);
      } finally {
        await parts.close();
      }
    });
}

async function runScheduled(delivery: DeliveryRuntime, format: 'text' | 'json'): Promise<void> {
  const scheduler = delivery.scheduler((event) => {
    if (event.kind === 'completed' && event.result.leased > 0)
      console.log(formatSummary(event.result, format));
    if (event.kind === 'failed') console.error(`sync failed: ${(event.error as Error).message}`);
  });
  console.log(`syncing on schedule "${delivery.config.syncCron}" (Ctrl-C to stop)`);
  scheduler.start();
  await scheduler.tick();
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void scheduler.stop().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** One line (text) or a JSON object; the reply pull's counts when a destination pulls replies. */
export function formatSummary(s: RunSummary, format: 'text' | 'json', replies?: PullSummary): string {
  if (format === 'json') return JSON.stringify(replies ? { ...s, replies } : s);
  const line = `sync: ${s.leased} attempted — ${s.delivered} delivered, ${s.retried} to retry, ${s.dead} dead, ${s.withheld} withheld, ${s.awaiting} awaiting consent${s.lost ? `, ${s.lost} taken over by another worker` : ''}`;
  if (!replies) return line;
  const failed = replies.failed
    .map((f) => `\n  reply pull stopped for ${f.destinationId}: ${f.reason}`)
    .join('');
  return `${line}\nreplies: ${replies.received} received, ${replies.duplicates} already stored, ${replies.refused} refused (${replies.pages} pages from ${replies.destinations} destinations)${failed}`;
}
