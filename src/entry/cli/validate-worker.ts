/**
 * A worker thread of `kap-bridge validate` on many files (commands/validate.ts): builds its own
 * validator exactly as the main thread does (the R4 base from the precomputed cache, the project's
 * profiles, the same `--ig` packages and options), validates the files it was given, and posts
 * each outcome back with the file's index so the report keeps the files' order.
 */
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { loadFhirPackage, loadProjectProfiles, usePrecomputedDefinitions } from '../../bootstrap/definitions';
import { createValidator } from '../../fhir/validator';
import type { ValidateOptions } from '../../fhir/validator';
import type { OperationOutcome } from '@medplum/fhirtypes';

/** What the main thread sends (workerData). */
export interface ValidateWorkerInput {
  files: Array<{ index: number; file: string }>;
  igs: string[];
  options: ValidateOptions;
}

/** What a worker posts: outcomes in batches (for the progress bar), `unreadable` for a file it could not read. */
export type ValidateWorkerMessage = Array<{ index: number; outcome?: OperationOutcome; unreadable?: true }>;

const BATCH = 25;

function run(input: ValidateWorkerInput): void {
  usePrecomputedDefinitions();
  const validator = createValidator({
    packages: [...loadProjectProfiles(), ...input.igs.map(loadFhirPackage)],
  });
  let batch: ValidateWorkerMessage = [];
  for (const { index, file } of input.files) {
    let bytes: Buffer | undefined;
    try {
      bytes = fs.readFileSync(file);
    } catch {
      bytes = undefined;
    }
    batch.push(
      bytes ? { index, outcome: validator.validateBytes(bytes, input.options) } : { index, unreadable: true },
    );
    if (batch.length >= BATCH) {
      parentPort?.postMessage(batch);
      batch = [];
    }
  }
  parentPort?.postMessage(batch);
}

run(workerData as ValidateWorkerInput);
