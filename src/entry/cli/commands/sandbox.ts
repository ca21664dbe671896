import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { startSandbox } from '../../../sandbox';

/**
 * `kap-bridge sandbox [--port N] [--host H] [--token T]`: a standalone FHIR R4 server standing in
 * for a referring clinician's EHR (DESIGN.md §8). It answers only loopback Host names and requires
 * a bearer token (`--token`, or one generated and printed once on stderr). Prints the base URL on
 * stdout and runs until SIGINT/SIGTERM.
 */
export function registerSandbox(program: Command): void {
  program
    .command('sandbox')
    .description(
      'run an in-memory FHIR R4 server (a stand-in EHR) at http://HOST:PORT/fhir; clients send its bearer token',
    )
    .option('--port <n>', 'TCP port (0 picks a free one)', parsePort, 8090)
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option(
      '--token <token>',
      `bearer token clients must send (at least ${MIN_TOKEN_LENGTH} characters; generated and printed when absent)`,
      parseToken,
    )
    .action(async (opts: { port: number; host: string; token?: string }) => {
      const sandbox = await startSandbox({
        port: opts.port,
        host: opts.host,
        ...(opts.token ? { token: opts.token } : {}),
      });
      console.log(`FHIR R4 sandbox listening at ${sandbox.url}`);
      // A token the caller chose is already known to them; a generated one is shown this once.
      if (!opts.token) console.error(`sandbox token: ${sandbox.token}`);
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

/** Shortest accepted `--token`: below this a token can be guessed. */
const MIN_TOKEN_LENGTH = 16;

function parseToken(value: string): string {
  // RFC 6750 §2.1 b64token characters, so the token fits an Authorization header as it is.
  if (value.length < MIN_TOKEN_LENGTH || !/^[A-Za-z0-9\-._~+/]+=*$/.test(value)) {
    throw new InvalidArgumentError(
      `expected at least ${MIN_TOKEN_LENGTH} characters of letters, digits, - . _ ~ + / (RFC 6750)`,
    );
  }
  return value;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError('expected an integer between 0 and 65535');
  }
  return port;
}
