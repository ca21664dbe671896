import { readJsonFile as readStrictJsonFile } from '../read-json-file';
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { Command } from 'commander';
import { decideDisclosure, parseConsents, parseDisclosureRequest, type ParseResult } from '../../../consent';
import { ConfigError, processEnvironment, readTimeZone } from '../../../bootstrap/settings';
import { errorOutcome } from '../../../fhir/outcomes';

interface DecideOptions {
  consents?: string;
  request?: string;
}

/**
 * `kap-bridge consent decide --consents FILE --request FILE` (DESIGN.md §8): prints the decision
 * JSON and exits 0 whatever the decision; a missing, unreadable or malformed file prints an
 * OperationOutcome and exits 2. The clock and KAP_BRIDGE_TIMEZONE are read here, never in the
 * engine.
 */
export function registerConsent(program: Command): void {
  const consent = program.command('consent').description('consent decisions');
  consent
    .command('decide')
    .description('decide whether a disclosure is permitted by the patient’s Consents')
    .option('--consents <file>', 'JSON array of Consent resources, or a Bundle')
    .option('--request <file>', 'the disclosure request (JSON)')
    .action((opts: DecideOptions) => {
      const result = runDecide(opts, new Date());
      console.log(JSON.stringify(result.body, null, 2));
      process.exitCode = result.exitCode;
    });
}

function runDecide(opts: DecideOptions, now: Date): { body: unknown; exitCode: number } {
  const fail = (outcome: OperationOutcome, exitCode = 2): { body: unknown; exitCode: number } => ({
    body: outcome,
    exitCode,
  });
  const zone = timeZone();
  if (!zone.ok) return fail(zone.outcome);
  const consents = readJsonFile(opts.consents, '--consents', parseConsents);
  if (!consents.ok) return fail(consents.outcome, consents.exitCode);
  const request = readJsonFile(opts.request, '--request', parseDisclosureRequest);
  if (!request.ok) return fail(request.outcome, request.exitCode);
  return {
    body: decideDisclosure(consents.value, request.value, now, { timeZone: zone.value }),
    exitCode: 0,
  };
}

/** `KAP_BRIDGE_TIMEZONE` through the settings schema; a bad zone is an OperationOutcome naming it. */
function timeZone(): { ok: true; value: string } | { ok: false; outcome: OperationOutcome } {
  try {
    return { ok: true, value: readTimeZone(processEnvironment()) };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { ok: false, outcome: errorOutcome('value', err.problems.join('; '), 'KAP_BRIDGE_TIMEZONE') };
  }
}

/**
 * Reads and parses one input file. A file that is not strict JSON exits 1 (bad input, DESIGN.md
 * §8); a missing option, an unreadable file or content of the wrong shape exit 2 (usage).
 */
function readJsonFile<T>(
  file: string | undefined,
  option: string,
  parse: (input: unknown) => ParseResult<T>,
): (ParseResult<T> & { ok: true }) | { ok: false; outcome: OperationOutcome; exitCode?: 1 } {
  if (!file) return { ok: false, outcome: errorOutcome('required', `${option} FILE is required.`, option) };
  const read = readStrictJsonFile(file);
  if (!read.ok && read.problem === 'unreadable') {
    return {
      ok: false,
      outcome: errorOutcome('not-found', `${option}: cannot read the file (${read.code}).`, option),
    };
  }
  if (!read.ok) {
    return {
      ok: false,
      outcome: errorOutcome('structure', `${option}: the file is not valid JSON: ${read.message}.`, option),
      exitCode: 1,
    };
  }
  const parsed = parse(read.value);
  if (parsed.ok) return parsed;
  // Say which file the expressions point into.
  for (const i of parsed.outcome.issue ?? []) {
    if (i.details?.text) i.details.text = `${option}: ${i.details.text}`;
  }
  return parsed;
}
