import type { Command } from 'commander';
import { runDemo } from '../../../bootstrap/demo';

/**
 * `kap-bridge demo` (DESIGN.md §8): plays the whole workflow on the fixtures against a built-in
 * sandbox and narrates each step. Exit 0 when every step behaved as expected, 1 otherwise.
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('play the whole workflow on the fixtures against a built-in sandbox, narrated')
    .action(async () => {
      const result = await runDemo({ say: (line) => console.log(line) });
      process.exitCode = result.ok ? 0 : 1;
    });
}
