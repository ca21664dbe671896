import type { Bundle, BundleEntry, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { yieldToEventLoop } from './batch-limits';
import type { ResourceValidator } from './ingest-types';

/**
 * Validates an inbound Bundle without holding the event loop for the whole of it (DESIGN.md §8:
 * one request never blocks the service). Validating a 200-entry Bundle in one call takes
 * 100–400 ms on a busy machine. The resources are checked on their own (the validator's resource
 * checks do not look at the rest of the Bundle), a few entries at a time with a yield between;
 * the Bundle's own rules (R4 bdl-*: fullUrl, request, duplicates) are checked once on the Bundle
 * with each resource reduced to its type, id and meta — all those rules read of it. The issues
 * are the ones a single call would give, with the same expressions.
 */

const SLICE = 4;
const ENTRY_RESOURCE = /^Bundle\.entry\[(\d+)\]\.resource(?=[.[]|$)/;

/** Where an issue sits: under an entry's resource (its index), or on the Bundle itself. */
function resourceIndex(i: OperationOutcomeIssue): number | undefined {
  const m = ENTRY_RESOURCE.exec(i.expression?.[0] ?? '');
  return m ? Number(m[1]) : undefined;
}

// Input is not trusted to have the declared shape: anything unexpected is left for the validator.
function stub(entry: BundleEntry): BundleEntry {
  const r = typeof entry === 'object' && entry !== null ? (entry.resource as unknown) : undefined;
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return entry;
  const { resourceType, id, meta } = r as Resource;
  return {
    ...entry,
    resource: { resourceType, ...(id ? { id } : {}), ...(meta ? { meta } : {}) } as Resource,
  };
}

/** Every issue of `validator.validate(bundle)`, computed in slices with yields between them. */
export async function validateInSlices(
  validator: ResourceValidator,
  bundle: Bundle,
): Promise<OperationOutcomeIssue[]> {
  if (!Array.isArray(bundle.entry)) return validator.validate(bundle).issue ?? [];
  const entries = bundle.entry;
  const shell: Bundle = { ...bundle, entry: entries.map(stub) };
  const issues = (validator.validate(shell).issue ?? []).filter((i) => resourceIndex(i) === undefined);
  for (let from = 0; from < entries.length; from += SLICE) {
    await yieldToEventLoop();
    const slice: Bundle = {
      resourceType: 'Bundle',
      type: bundle.type ?? 'collection',
      entry: entries.slice(from, from + SLICE),
    };
    for (const i of validator.validate(slice).issue ?? []) {
      const at = resourceIndex(i);
      if (at === undefined) continue;
      const rebase = (e: string) => e.replace(ENTRY_RESOURCE, `Bundle.entry[${at + from}].resource`);
      issues.push({ ...i, ...(i.expression ? { expression: i.expression.map(rebase) } : {}) });
    }
  }
  return issues;
}
