import type { Command } from 'commander';

type Register = (p: Command) => void;

/* eslint-disable @typescript-eslint/no-require-imports -- loaded on demand, see COMMANDS */
/**
 * Every sub-command by name, in the order `--help` lists them. Each command module exports one
 * `registerX(program)` function; add it here. A module is loaded only when its command is
 * registered: a process that runs one command does not load the others' dependencies (express,
 * the stores, the relay…), which is most of a CLI start (issue 12).
 */
const COMMANDS: ReadonlyArray<[string, () => Register]> = [
  ['sandbox', () => (require('./sandbox') as typeof import('./sandbox')).registerSandbox],
  ['consent', () => (require('./consent') as typeof import('./consent')).registerConsent],
  ['map', () => (require('./map') as typeof import('./map')).registerMap],
  ['validate', () => (require('./validate') as typeof import('./validate')).registerValidate],
  ['ingest', () => (require('./ingest') as typeof import('./ingest')).registerIngest],
  ['outbox', () => (require('./outbox') as typeof import('./outbox')).registerOutbox],
  ['jwks', () => (require('./jwks') as typeof import('./jwks')).registerJwks],
  ['sync', () => (require('./sync') as typeof import('./sync')).registerSync],
  ['disclosures', () => (require('./disclosures') as typeof import('./disclosures')).registerDisclosures],
  ['serve', () => (require('./serve') as typeof import('./serve')).registerServe],
  ['demo', () => (require('./demo') as typeof import('./demo')).registerDemo],
];
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Registers the sub-commands: only `only` when it names one (the command a process was started
 * for), otherwise every one (`--help`, an unknown command, options before the command).
 */
export function registerCommands(program: Command, only?: string): void {
  const one = COMMANDS.find(([name]) => name === only);
  for (const [, load] of one ? [one] : COMMANDS) load()(program);
}
