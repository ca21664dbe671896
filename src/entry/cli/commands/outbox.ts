import type { OperationOutcome } from '@medplum/fhirtypes';
import { Command, Option } from 'commander';
import { withRuntime } from '../../../bootstrap/compose';
import { listStates, OUTBOX_STATES, RETRYABLE_STATES, type OutboxState } from '../../../outbox';
import type { OutboxRow } from '../../../app/ports/store-port';
import { formatRows, rowJson } from './outbox-format';

/**
 * `kap-bridge outbox list|retry|replay` (DESIGN.md §6, §8): operators see the queue and send
 * items again. `list` filters by state, destination and patient (the read is audited, naming every
 * client listed); `retry ID` (or
 * `retry --destination D`) queues a row in any of `RETRYABLE_STATES` again; `replay ID` re-sends a
 * delivered one. Exit 0 done, 1 nothing retryable found, 2 usage or configuration.
 */
export function registerOutbox(program: Command): void {
  const outbox = program.command('outbox').description('list, retry and replay outbox items');
  outbox
    .command('list')
    .description('list outbox rows (earliest deadline first)')
    .addOption(new Option('--state <state>', 'only rows in this state').choices(OUTBOX_STATES))
    .option('--destination <id>', 'only rows for this destination')
    .option('--patient <mrn>', 'only rows of this client')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (opts: { state?: OutboxState; destination?: string; patient?: string; format: string }) => {
      const filter = { state: opts.state, destinationId: opts.destination, patientMrn: opts.patient };
      // A read of PHI, audited like GET /outbox (same use case), with actor `cli`.
      const rows = await withRuntime((rt) => rt.outbox.list(filter, 'cli'));
      printRows(rows, opts.format);
    });
  outbox
    .command('retry')
    // Listed from the outbox module's own rule, so the help cannot drift from what retry accepts.
    .description(
      `queue a row in state ${listStates(RETRYABLE_STATES)} again (or every such row of a destination); consent is re-checked before sending`,
    )
    .argument('[id]', 'outbox row id')
    .option('--destination <id>', 'every retryable row of this destination')
    .action(async (id: string | undefined, opts: { destination?: string }) => {
      if (!id === !opts.destination) throw new Error('give either an outbox row id or --destination');
      if (!id) {
        const rows = await withRuntime((rt) => rt.outbox.retryDestination(opts.destination ?? ''));
        report(rows, 'queued again');
        return;
      }
      const result = await withRuntime((rt) => rt.outbox.retry(id));
      report(result.status === 'retried' ? [result.row] : [], 'queued again', result.outcome);
    });
  outbox
    .command('replay')
    .description('queue a delivered row again (the destination keeps one copy)')
    .argument('<id>', 'outbox row id')
    .action(async (id: string) => {
      const row = await withRuntime((rt) => rt.outbox.replay(id));
      report(row ? [row] : [], 'queued for replay');
    });
}

function printRows(rows: OutboxRow[], format: string): void {
  if (format === 'json') console.log(JSON.stringify(rows.map(rowJson), null, 2));
  else if (rows.length === 0) console.log('no outbox rows');
  else console.log(formatRows(rows).join('\n'));
}

/** The rows acted on; none → exit 1 with the use case's reason when it gave one (as HTTP's 404 / 409). */
function report(rows: OutboxRow[], what: string, refusal?: OperationOutcome): void {
  if (rows.length === 0) {
    const reason =
      refusal?.issue?.[0]?.details?.text ?? 'no such row, or it is not in a state that allows this';
    console.log(`nothing to do: ${reason}`);
    process.exitCode = 1;
    return;
  }
  console.log(`${rows.length} row(s) ${what}:\n${formatRows(rows).join('\n')}`);
}
