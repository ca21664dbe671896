import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { loadFhirPackage, loadProjectProfiles } from '../../../bootstrap/definitions';
import { createValidator } from '../../../fhir/validator';
import type { FhirPackageContents, FhirValidator, ValidateOptions } from '../../../fhir/validator';
import type { ValidateWorkerInput, ValidateWorkerMessage } from '../validate-worker';

interface ValidateCliOptions {
  profile?: string;
  ig: string[];
  format: string;
  securityChecks?: boolean;
  htmlInMarkdown?: boolean;
  forbidExampleUrls?: boolean;
  allowComments?: boolean;
  validateContains: string;
}

interface FileResult {
  file: string;
  outcome: OperationOutcome;
}

class UsageError extends Error {}

/**
 * `kap-bridge validate [--profile URL] [--ig PATH] [--format text|json] [--security-checks]
 * [--no-html-in-markdown] [--forbid-example-urls] [--allow-comments]
 * [--validate-contains check|ignore] PATH…` (DESIGN.md §8). Exit 0: no errors;
 * 1: errors found (invalid JSON is a `fatal` issue of its file); 2: usage, or a path, package or
 * profile that cannot be read.
 */
export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('validate FHIR JSON files or folders (recursing, *.json) against R4 and loaded profiles')
    .argument('<paths...>', 'files or folders')
    .option('--profile <url>', 'validate against this profile (canonical URL of a loaded profile)')
    .option('--ig <path>', 'load another FHIR package (folder or .tgz); repeatable', collect, [])
    .option('--format <format>', 'text or json', 'text')
    .option('--security-checks', 'HTML-looking text in strings is an error')
    .option('--no-html-in-markdown', 'HTML tags in markdown are errors')
    .option('--forbid-example-urls', 'example.org / example.com URLs are errors')
    .option('--allow-comments', 'accept // and /* */ comments in the JSON files')
    .option('--validate-contains <mode>', 'check or ignore contained resources', 'check')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .action(async (paths: string[], opts: ValidateCliOptions) => {
      try {
        process.exitCode = await runValidate(paths, opts);
      } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        console.error(`kap-bridge validate: ${err.message}`);
        process.exitCode = 2;
      }
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function runValidate(paths: string[], opts: ValidateCliOptions): Promise<number> {
  if (opts.format !== 'text' && opts.format !== 'json')
    throw new UsageError(`--format must be text or json, not '${opts.format}'`);
  if (opts.validateContains !== 'check' && opts.validateContains !== 'ignore')
    throw new UsageError(`--validate-contains must be check or ignore, not '${opts.validateContains}'`);
  const files = paths.flatMap(listFiles);
  const validator = createValidator({ packages: [...loadProjectProfiles(), ...opts.ig.map(loadPackage)] });
  if (opts.profile && !validator.profileUrls().includes(opts.profile.split('|')[0] ?? opts.profile)) {
    throw new UsageError(`profile ${opts.profile} is not loaded (use --ig to load its package)`);
  }
  const options: ValidateOptions = {
    profile: opts.profile,
    securityChecks: opts.securityChecks === true,
    noHtmlInMarkdown: opts.htmlInMarkdown === false,
    forbidExampleUrls: opts.forbidExampleUrls === true,
    allowComments: opts.allowComments === true,
    validateContains: opts.validateContains,
  };
  const showBar = process.stderr.isTTY === true && paths.some(isDirectory);
  const bar = showBar
    ? new SingleBar({ stream: process.stderr, format: 'validating [{bar}] {value}/{total} files' })
    : undefined;
  bar?.start(files.length, 0);
  let results: FileResult[];
  try {
    const threads = workerThreads(files.length);
    results =
      threads > 0
        ? await validateInParallel(files, validator, options, { threads, igs: opts.ig, bar })
        : validateFiles(files, validator, options, bar);
  } finally {
    bar?.stop();
  }
  if (opts.format === 'json') console.log(JSON.stringify(results, null, 2));
  else printText(results);
  return results.some((r) => countBySeverity(r.outcome).errors > 0) ? 1 : 0;
}

function loadPackage(location: string): FhirPackageContents {
  try {
    return loadFhirPackage(location);
  } catch (err) {
    throw new UsageError(
      `cannot load package ${location}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

function isDirectory(p: string): boolean {
  return fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() === true;
}

function listFiles(p: string): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(p);
    if (!stat.isDirectory()) fs.accessSync(p, fs.constants.R_OK);
  } catch {
    throw new UsageError(`cannot read ${p}`);
  }
  if (!stat.isDirectory()) return [p];
  return fs
    .readdirSync(p, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) =>
      e.isDirectory()
        ? listFiles(path.join(p, e.name))
        : e.name.endsWith('.json')
          ? [path.join(p, e.name)]
          : [],
    );
}

function readOrRefuse(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch {
    throw new UsageError(`cannot read ${file}`);
  }
}

function validateFiles(
  files: string[],
  validator: FhirValidator,
  options: ValidateOptions,
  bar: SingleBar | undefined,
): FileResult[] {
  return files.map((file) => {
    // Bytes, not text: invalid UTF-8 is a fatal issue of the file (DESIGN.md §8), not U+FFFD.
    const outcome = validator.validateBytes(readOrRefuse(file), options);
    bar?.increment();
    return { file, outcome };
  });
}

/** Below this many files a worker's start-up (its own validator) costs more than it saves. */
const FILES_PER_WORKER = 1000;
/** The compiled worker; absent when running from the TypeScript sources (tests): then one thread. */
const WORKER_FILE = path.join(__dirname, '..', 'validate-worker.js');

/** How many worker threads to add beside the main thread for `count` files (0: validate here). */
function workerThreads(count: number): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  if (cores < 2 || !fs.existsSync(WORKER_FILE)) return 0;
  return Math.max(0, Math.min(cores - 1, 3, Math.floor(count / FILES_PER_WORKER) - 1));
}

/**
 * A folder on several cores (issue 12): file i goes to thread i mod (threads + 1), the main
 * thread taking its share; each worker builds the same validator. Results keep the files' order,
 * and an unreadable file is a usage error (exit 2) as on one thread.
 */
async function validateInParallel(
  files: string[],
  validator: FhirValidator,
  options: ValidateOptions,
  run: { threads: number; igs: string[]; bar: SingleBar | undefined },
): Promise<FileResult[]> {
  const width = run.threads + 1;
  const outcomes: Array<OperationOutcome | undefined> = new Array<OperationOutcome | undefined>(files.length);
  let unreadable = -1;
  const workers = Array.from({ length: run.threads }, (_, k) => {
    const input: ValidateWorkerInput = {
      files: files.flatMap((file, index) => (index % width === k + 1 ? [{ index, file }] : [])),
      igs: run.igs,
      options,
    };
    return new Promise<void>((resolve, reject) => {
      const worker = new Worker(WORKER_FILE, { workerData: input });
      worker.on('message', (batch: ValidateWorkerMessage) => {
        for (const r of batch) {
          if (r.unreadable && (unreadable < 0 || r.index < unreadable)) unreadable = r.index;
          outcomes[r.index] = r.outcome;
        }
        run.bar?.increment(batch.length);
      });
      worker.on('error', reject);
      worker.on('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`validate worker exited ${code}`)),
      );
    });
  });
  // The main thread's share, between the workers' messages (it yields once per file).
  for (let index = 0; index < files.length; index += width) {
    const file = files[index] as string;
    let bytes: Buffer | undefined;
    try {
      bytes = fs.readFileSync(file);
    } catch {
      if (unreadable < 0 || index < unreadable) unreadable = index;
    }
    if (bytes) outcomes[index] = validator.validateBytes(bytes, options);
    run.bar?.increment();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await Promise.all(workers);
  if (unreadable >= 0) throw new UsageError(`cannot read ${files[unreadable]}`);
  return files.map((file, index) => ({ file, outcome: outcomes[index] as OperationOutcome }));
}

function countBySeverity(outcome: OperationOutcome): { errors: number; warnings: number } {
  const issues = outcome.issue ?? [];
  return {
    errors: issues.filter((i) => i.severity === 'error' || i.severity === 'fatal').length,
    warnings: issues.filter((i) => i.severity === 'warning').length,
  };
}

function printText(results: FileResult[]): void {
  let errors = 0;
  let warnings = 0;
  for (const { file, outcome } of results) {
    const counts = countBySeverity(outcome);
    errors += counts.errors;
    warnings += counts.warnings;
    const shown = (outcome.issue ?? []).filter((i) => i.code !== 'informational');
    console.log(`${file}: ${counts.errors === 0 ? 'OK' : 'INVALID'}`);
    for (const i of shown) {
      const where = i.expression?.length ? ` ${i.expression.join(', ')}:` : '';
      console.log(`  ${i.severity}${where} ${i.details?.text ?? i.diagnostics ?? i.code}`);
    }
  }
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  console.log(
    `${plural(results.length, 'file')}, ${plural(errors, 'error')}, ${plural(warnings, 'warning')}`,
  );
}
