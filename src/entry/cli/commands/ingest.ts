import { readJsonFile } from '../read-json-file';
import type { Bundle, OperationOutcome } from '@medplum/fhirtypes';
import { Command, Option } from 'commander';
import type { FhirIngestResult, IngestResult } from '../../../app';
import { errorOutcome, issue, outcome } from '../../../fhir/outcomes';
import { ingestRuntimeFromEnv, withRuntime } from '../../../bootstrap/compose';
import { formatOutcome, formatRows, rowJson } from './outbox-format';

/**
 * `kap-bridge ingest referral|consent|revocation|update|referral-status|bundle FILE` (DESIGN.md §8): stores the
 * record and queues its items through the same use cases as HTTP, then prints the outcome and the
 * outbox rows created. Exit 0 stored (or unchanged), 1 refused (nothing changed), 2 usage, an
 * unreadable file, or a bad configuration. Uses `DATABASE_URL`, `KAP_BRIDGE_TIMEZONE`,
 * `KAP_BRIDGE_DEFAULT_DESTINATION` and, when set, `KAP_BRIDGE_DESTINATIONS` (to warn at once when
 * a referral's items go to a destination that is not registered, as `serve` does).
 */

const KINDS = ['referral', 'consent', 'revocation', 'update', 'referral-status', 'bundle'] as const;
type Kind = (typeof KINDS)[number];

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .description('store a practice record (or FHIR Bundle) and queue what may be shared')
    .addArgument(new Command().createArgument('kind', 'record kind').choices(KINDS))
    .argument('<file>', 'JSON file with the record')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (kind: Kind, file: string, opts: { format: 'text' | 'json' }) => {
      process.exitCode = await runIngest(kind, file, opts.format);
    });
}

async function runIngest(kind: Kind, file: string, format: 'text' | 'json'): Promise<number> {
  const input = readJson(file);
  if (!input.ok)
    return print(
      format,
      { status: 'rejected', outcome: input.outcome, outbox: [], changed: [] },
      input.exitCode,
    );
  if (kind === 'bundle') return runBundle(input.value, format);
  const useCase = kind === 'referral-status' ? 'referralStatus' : kind;
  const result = await withRuntime(
    (rt) => rt.ingest[useCase](input.value, { actor: 'cli' }),
    ingestRuntimeFromEnv,
  );
  return print(format, result, result.status === 'rejected' ? 1 : 0);
}

/**
 * `ingest bundle FILE`: a `transaction` / `batch` Bundle (as `POST /fhir`) or a `message` Bundle
 * (as `$process-message`) of inbound referrals. Prints the response Bundle (or the refusal);
 * exit 0 when every referral was stored, 1 when anything was refused.
 */
async function runBundle(input: unknown, format: 'text' | 'json'): Promise<number> {
  const bundle = input as Partial<Bundle> | null;
  const type = bundle?.resourceType === 'Bundle' ? bundle.type : undefined;
  if (type !== 'transaction' && type !== 'batch' && type !== 'message') {
    const text = 'ingest bundle takes a Bundle of type transaction, batch or message';
    return printFhir(format, { status: 'rejected', outcome: errorOutcome('value', text, 'Bundle.type') });
  }
  const b = bundle as Bundle;
  const ctx = { actor: 'cli' };
  const result = await withRuntime(
    (rt) => (type === 'message' ? rt.ingest.message(b, ctx) : rt.ingest.fhirBundle(b, ctx)),
    ingestRuntimeFromEnv,
  );
  return printFhir(format, result);
}

function printFhir(format: 'text' | 'json', r: FhirIngestResult): number {
  const body = r.status === 'processed' ? r.response : r.outcome;
  const header = r.status === 'processed' ? r.response.entry?.[0]?.resource : undefined;
  const refused =
    r.status === 'rejected' ||
    (header?.resourceType === 'MessageHeader' && header.response?.code !== 'ok') ||
    (r.response.entry ?? []).some((e) => e.response && !/^2/.test(e.response.status ?? ''));
  if (format === 'json') console.log(JSON.stringify(body, null, 2));
  else if (r.status === 'rejected') for (const line of formatOutcome(r.outcome)) console.log(line);
  else {
    if (header?.resourceType === 'MessageHeader')
      console.log(`message response: ${header.response?.code ?? ''}`);
    for (const [i, e] of (r.response.entry ?? []).entries()) {
      if (e.response)
        console.log(
          `entry[${i}] ${e.response.status}${e.response.location ? ` ${e.response.location}` : ''}`,
        );
      const oo =
        e.response?.outcome ?? (e.resource?.resourceType === 'OperationOutcome' ? e.resource : undefined);
      for (const line of oo ? formatOutcome(oo) : []) console.log(`  ${line}`);
    }
  }
  return refused ? 1 : 0;
}

function print(format: 'text' | 'json', r: IngestResult, code: number): number {
  if (format === 'json') {
    const { outbox, changed, ...rest } = r;
    console.log(
      JSON.stringify({ ...rest, outbox: outbox.map(rowJson), changed: changed.map(rowJson) }, null, 2),
    );
    return code;
  }
  const id = r.recordId ? ` ${r.recordId}` : '';
  const version = r.version ? ` (version ${r.version})` : '';
  // A revocation's own record version is not what the user asked about: print its headline.
  console.log(r.headline ?? `${r.status}${id}${version}`);
  const rest = (r.outcome.issue ?? []).filter((i) => !r.headline || i.details?.text !== r.headline);
  for (const line of formatOutcome({ ...r.outcome, issue: rest })) console.log(line);
  if (r.outbox.length > 0)
    console.log([`outbox rows created (${r.outbox.length}):`, ...formatRows(r.outbox)].join('\n'));
  if (r.changed.length > 0)
    console.log([`outbox rows changed (${r.changed.length}):`, ...formatRows(r.changed)].join('\n'));
  return code;
}

/** An unreadable file exits 2 (a path problem); a file that is not strict JSON exits 1 (bad input, DESIGN.md §8). */
function readJson(
  file: string,
): { ok: true; value: unknown } | { ok: false; outcome: OperationOutcome; exitCode: 1 | 2 } {
  const read = readJsonFile(file);
  if (read.ok) return read;
  if (read.problem === 'unreadable') {
    return { ok: false, outcome: errorOutcome('not-found', `${file} cannot be read`), exitCode: 2 };
  }
  const text = `${file} is not valid JSON: ${read.message}`;
  return {
    ok: false,
    outcome: outcome([issue({ severity: 'fatal', code: 'structure', text })]),
    exitCode: 1,
  };
}
