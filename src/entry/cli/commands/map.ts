import { readJsonFile } from '../read-json-file';
import type { Bundle, OperationOutcome } from '@medplum/fhirtypes';
import { Command } from 'commander';
import { ConfigError, processEnvironment, readMappingConfig } from '../../../bootstrap/settings';
import { checkConsentAgainstReferral, checkUpdateAgainstReferral } from '../../../domain/cross-record';
import {
  parseConsent,
  parseIntegrationUpdate,
  parseReferral,
  parseReferralStatus,
} from '../../../domain/parse-records';
import type { Referral } from '../../../domain/records';
import { checkStatusAgainstReferral } from '../../../domain/referral-status-rules';
import { errorOutcome, issue, outcome } from '../../../fhir/outcomes';
import type { MappingOptions } from '../../../mapping';
import { bundleConsent, bundleReferral, bundleReferralStatus, bundleUpdate } from '../../../mapping/bundle';

/**
 * `kap-bridge map referral|consent|update|referral-status FILE [--referral FILE]` (DESIGN.md §8):
 * prints the `collection` Bundle of the mapped record (a referral status: its Task first); stores nothing. Exit codes: 0 mapped; 1 the record
 * (or its referral) breaks a rule — the OperationOutcome is printed on stdout; 2 usage, or a file
 * that cannot be read or is not JSON, or a bad `KAP_BRIDGE_MAX_SECTION_LENGTH` / `KAP_BRIDGE_PRACTICE_*`
 * — also printed as an OperationOutcome. Updates are held to `KAP_BRIDGE_MAX_SECTION_LENGTH`, and
 * the practice is the configured one, as in ingest.
 */

type Kind = 'referral' | 'consent' | 'update' | 'referral-status';
const KINDS: Kind[] = ['referral', 'consent', 'update', 'referral-status'];
type Step<T> = { ok: true; value: T } | { ok: false; outcome: OperationOutcome; exitCode: 1 | 2 };

interface MapOptions {
  referral?: string;
  /** Longest update section (`KAP_BRIDGE_MAX_SECTION_LENGTH`); the domain default when absent. */
  maxSectionLength?: number;
  /** The practice (`KAP_BRIDGE_PRACTICE_*`); the placeholder practice when absent. */
  mapping?: MappingOptions;
}

/** A file that cannot be read exits 2; one that is not strict JSON exits 1 (bad input, DESIGN.md §8). */
function readJsonInput(path: string): Step<unknown> {
  const read = readJsonFile(path);
  if (read.ok) return read;
  if (read.problem === 'unreadable') {
    const reason = read.code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    return { ok: false, exitCode: 2, outcome: errorOutcome('not-found', `${path} ${reason}`) };
  }
  const text = `${path} is not valid JSON: ${read.message}`;
  return {
    ok: false,
    exitCode: 1,
    outcome: outcome([issue({ severity: 'fatal', code: 'structure', text })]),
  };
}

function loadReferral(path: string | undefined, kind: Kind): Step<Referral> {
  if (!path) {
    const text = `a ${kind} refers to a referral (referralId): pass the referral's file with --referral FILE`;
    return { ok: false, exitCode: 2, outcome: errorOutcome('required', text, 'referralId') };
  }
  const json = readJsonInput(path);
  if (!json.ok) return json;
  const parsed = parseReferral(json.value);
  if (parsed.ok) return parsed;
  // Say which file is at fault: the issues are about the --referral file, not FILE.
  const issues = (parsed.outcome.issue ?? []).map((i) => ({
    ...i,
    details: { text: `in the --referral file ${path}: ${i.details?.text ?? ''}` },
  }));
  return { ok: false, exitCode: 1, outcome: outcome(issues) };
}

function mapRecord(kind: Kind, input: unknown, opts: MapOptions): Step<Bundle> {
  if (kind === 'referral') {
    const r = parseReferral(input);
    return r.ok
      ? { ok: true, value: bundleReferral(r.value, opts.mapping) }
      : { ok: false, exitCode: 1, outcome: r.outcome };
  }
  if (kind === 'referral-status') return mapStatus(input, opts);
  const bound = opts.maxSectionLength === undefined ? {} : { maxSectionLength: opts.maxSectionLength };
  const parsed = kind === 'consent' ? parseConsent(input) : parseIntegrationUpdate(input, bound);
  if (!parsed.ok) return { ok: false, exitCode: 1, outcome: parsed.outcome };
  const referral = loadReferral(opts.referral, kind);
  if (!referral.ok) return referral;
  if ('decision' in parsed.value) {
    const bad = checkConsentAgainstReferral(parsed.value, referral.value);
    return bad
      ? { ok: false, exitCode: 1, outcome: bad }
      : { ok: true, value: bundleConsent(parsed.value, referral.value, opts.mapping) };
  }
  const bad = checkUpdateAgainstReferral(parsed.value, referral.value);
  if (bad) return { ok: false, exitCode: 1, outcome: bad };
  return {
    ok: true,
    value: bundleUpdate(parsed.value, referral.value, opts.mapping),
  };
}

/** A status change, held to its referral as ingest holds it (known referral, not before it). */
function mapStatus(input: unknown, opts: MapOptions): Step<Bundle> {
  const parsed = parseReferralStatus(input);
  if (!parsed.ok) return { ok: false, exitCode: 1, outcome: parsed.outcome };
  const referral = loadReferral(opts.referral, 'referral-status');
  if (!referral.ok) return referral;
  const bad = checkStatusAgainstReferral(parsed.value, referral.value);
  return bad
    ? { ok: false, exitCode: 1, outcome: bad }
    : { ok: true, value: bundleReferralStatus(parsed.value, referral.value, opts.mapping) };
}

/** Runs `map` and returns the exit code (the JSON is written to stdout). */
export function runMap(kind: Kind, file: string, opts: MapOptions): number {
  const json = readJsonInput(file);
  const result = json.ok ? mapRecord(kind, json.value, opts) : json;
  process.stdout.write(`${JSON.stringify(result.ok ? result.value : result.outcome, null, 2)}\n`);
  return result.ok ? 0 : result.exitCode;
}

/** Registers `kap-bridge map`. */
export function registerMap(program: Command): void {
  program
    .command('map')
    .description('print the FHIR collection Bundle of a practice record (stores nothing)')
    .addArgument(new Command().createArgument('<kind>', 'record kind').choices(KINDS))
    .argument('<file>', 'the record (JSON)')
    .option('--referral <file>', 'the referral a consent, update or status change refers to')
    .action((kind: Kind, file: string, opts: MapOptions) => {
      const config = mappingConfig(processEnvironment());
      if (!config.ok) {
        process.stdout.write(`${JSON.stringify(config.outcome, null, 2)}\n`);
        process.exitCode = config.exitCode;
        return;
      }
      process.exitCode = runMap(kind, file, { ...opts, ...config.value });
    });
}

/** The section bound and the practice, or exit 2 naming the variables (configuration is checked first). */
function mappingConfig(env: NodeJS.ProcessEnv): Step<{ maxSectionLength?: number; mapping: MappingOptions }> {
  try {
    return { ok: true, value: readMappingConfig(env) };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const text = err.problems.join('; ');
    const names = err.problems.map((p) => p.split(':')[0] ?? '');
    return { ok: false, exitCode: 2, outcome: errorOutcome('value', text, names) };
  }
}
