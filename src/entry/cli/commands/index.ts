import type { Command } from 'commander';
import { registerConsent } from './consent';
import { registerDemo } from './demo';
import { registerDisclosures } from './disclosures';
import { registerIngest } from './ingest';
import { registerJwks } from './jwks';
import { registerMap } from './map';
import { registerOutbox } from './outbox';
import { registerSandbox } from './sandbox';
import { registerServe } from './serve';
import { registerSync } from './sync';
import { registerValidate } from './validate';

/**
 * Registers every sub-command. Each command module exports one `registerX(program)` function;
 * add it to the list below.
 */
export function registerCommands(program: Command): void {
  const registrations: Array<(p: Command) => void> = [
    registerSandbox,
    registerConsent,
    registerMap,
    registerValidate,
    registerIngest,
    registerOutbox,
    registerJwks,
    registerSync,
    registerDisclosures,
    registerServe,
    registerDemo,
  ];
  for (const register of registrations) register(program);
}
