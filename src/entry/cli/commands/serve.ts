import type { Command } from 'commander';
import { ConfigError, processEnvironment } from '../../../bootstrap/settings';
import { startService, type RunningService } from '../../../bootstrap/service';

/**
 * `kap-bridge serve` (DESIGN.md §8): the HTTP API, the relay and the scheduled sync, configured
 * from the environment (README "Configuration"). Exit 2 with every problem listed when the
 * configuration is bad; 0 after a graceful shutdown on SIGINT/SIGTERM.
 */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the service: HTTP API, delivery relay and scheduled sync (stop with Ctrl-C)')
    .action(async () => {
      let service: RunningService;
      try {
        service = await startService(processEnvironment(), { notice: (line) => console.error(line) });
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        console.error(`kap-bridge serve: ${err.message}`);
        process.exitCode = 2;
        return;
      }
      console.error(`kap-bridge listening on ${service.url} (started in ${service.startupMs} ms)`);
      await untilSignal();
      await service.stop();
      // Everything is closed; a handle a library forgot must not keep the process alive.
      setTimeout(() => process.exit(process.exitCode ?? 0), 2_000).unref();
    });
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      console.error('kap-bridge: stopping (a second Ctrl-C stops at once)');
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
