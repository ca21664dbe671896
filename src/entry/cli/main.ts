#!/usr/bin/env node
/**
 * The `kap-bridge` command line. Thin: each sub-command lives in `commands/` and calls use cases
 * or the composition root; this file only wires them into commander and sets the exit code.
 */
import { Command } from 'commander';
import { usePrecomputedDefinitions } from '../../bootstrap/definitions';
import { registerCommands } from './commands';

/**
 * Builds the commander program with every sub-command registered, or only `command` when it names
 * one (what `kap-bridge COMMAND …` runs: the others' modules are never loaded).
 */
export function buildProgram(command?: string): Command {
  const program = new Command('kap-bridge')
    .description('FHIR R4 adapter for a KAP practice: map, validate, decide consent, deliver.')
    .version(readVersion())
    // Exit 2 for usage errors (README "CLI reference"): commander's default is 1, which means
    // "the input broke a rule" here. Set before registering: sub-commands inherit it.
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  registerCommands(program, command);
  return program;
}

function readVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../../../package.json') as { version: string }).version;
}

if (require.main === module) {
  usePrecomputedDefinitions();
  buildProgram(process.argv[2])
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exitCode = 2;
    });
}
