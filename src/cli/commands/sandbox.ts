import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { startSandbox } from '../../sandbox';

/**
 * `kap-bridge sandbox [--port N] [--host H]`: a standalone FHIR R4 server standing in for a
 * referring clinician's EHR (DESIGN.md §8). Prints the base URL and runs until SIGINT/SIGTERM.
 */
export function registerSandbox(program: Command): void {
  program
    .command('sandbox')
    .description('run an in-memory FHIR R4 server (a stand-in EHR) at http://HOST:PORT/fhir')
    .option('--port <n>', 'TCP port (0 picks a free one)', parsePort, 8090)
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .action(async (opts: { port: number; host: string }) => {
      const sandbox = await startSandbox({ port: opts.port, host: opts.host });
      console.log(`FHIR R4 sandbox listening at ${sandbox.url}`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void sandbox.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError('expected an integer between 0 and 65535');
  }
  return port;
}
