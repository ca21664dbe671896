import type { Bundle } from '@medplum/fhirtypes';
import { errorOutcome } from '../fhir/outcomes';
import type { FhirIngestResult } from './inbound-referral';
import { DEFAULT_MAX_BATCH_ENTRIES, type IngestDeps } from './ingest-types';

/**
 * One request never blocks the service for other callers (DESIGN.md §8 "Trust at the edge"): an
 * inbound Bundle has an entry cap, checked before any work (long work yields: yield-to-event-loop.ts).
 */

/** A 413 (`too-long`) refusal when `bundle` holds more entries than the cap, else undefined. */
export function refuseOverCap(deps: IngestDeps, bundle: Bundle): FhirIngestResult | undefined {
  const max = deps.maxBatchEntries ?? DEFAULT_MAX_BATCH_ENTRIES;
  const n = bundle.entry?.length ?? 0;
  if (n <= max) return undefined;
  const text = `The Bundle holds ${n} entries; at most ${max} are accepted in one request. Send the referrals in smaller Bundles.`;
  return { status: 'rejected', refusal: 'too-long', outcome: errorOutcome('too-long', text, 'Bundle.entry') };
}
