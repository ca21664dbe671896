import type { Bundle, BundleEntry, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { yieldToEventLoop } from './yield-to-event-loop';
import type { ResourceValidator } from './ports/validator-port';

/**
 * Validates an inbound Bundle without holding the event loop for the whole of it (DESIGN.md §8:
 * one request never blocks the service). Validating a 200-entry Bundle in one call takes
 * 100–400 ms on a busy machine, and the Bundle's own rules grow faster than the entries. The
 * resources are checked on their own (the validator's resource checks do not look at the rest of
 * the Bundle), a few entries at a time with a yield between; the Bundle's own rules (R4 bdl-*:
 * fullUrl, request, duplicates, first entry) are checked on copies of the entries reduced to
 * type, id and meta — all those rules read of a resource — also a slice at a time. The issues are
 * the ones a single call gives, with the same expressions (a duplicate-fullUrl text may number
 * the entries within its slice).
 */

const SLICE = 10;
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

const ENTRY_INDEX = /^Bundle\.entry\[(\d+)\]/;

/** `expression`s re-pointed from a sub-Bundle's entry `j` to the Bundle's entry `indexes[j]`. */
function rebased(i: OperationOutcomeIssue, indexes: readonly number[]): OperationOutcomeIssue {
  if (!i.expression) return i;
  const at = (e: string) =>
    e.replace(ENTRY_INDEX, (_m, j: string) => `Bundle.entry[${indexes[Number(j)] ?? j}]`);
  return { ...i, expression: i.expression.map(at) };
}

/** Slices of entry indexes, plus one group of the entries that share a fullUrl (R4 bdl-7 pairs). */
function groupsOf(entries: readonly BundleEntry[]): number[][] {
  const groups: number[][] = [];
  for (let from = 0; from < entries.length; from += SLICE) {
    groups.push(entries.slice(from, from + SLICE).map((_, k) => from + k));
  }
  const byUrl = new Map<string, number[]>();
  entries.forEach((e, i) => {
    const url = typeof e === 'object' && e !== null ? e.fullUrl : undefined;
    if (typeof url === 'string') byUrl.set(url, [...(byUrl.get(url) ?? []), i]);
  });
  const shared = [...byUrl.values()].filter((g) => g.length > 1).flat();
  if (shared.length > 0) groups.push(shared.sort((a, b) => a - b));
  return groups;
}

/**
 * The Bundle's own rules, on resource-less copies of the entries, a slice at a time: every slice
 * starts with entry 0 (R4 bdl-11/bdl-12 look at the first entry) and entries sharing a fullUrl are
 * checked together, so every rule sees what it needs; issues repeated by slices are kept once.
 */
async function bundleRuleIssues(
  validator: ResourceValidator,
  bundle: Bundle,
  entries: readonly BundleEntry[],
): Promise<OperationOutcomeIssue[]> {
  const shells = entries.map(stub);
  const seen = new Set<string>();
  const out: OperationOutcomeIssue[] = [];
  for (const group of groupsOf(entries)) {
    await yieldToEventLoop();
    const indexes = group[0] === 0 ? group : [0, ...group];
    const sub: Bundle = { ...bundle, entry: indexes.map((i) => shells[i] as BundleEntry) };
    for (const found of validator.validate(sub).issue ?? []) {
      if (resourceIndex(found) !== undefined) continue;
      const i = rebased(found, indexes);
      const key = JSON.stringify([i.expression, i.code, i.details?.text]);
      if (!seen.has(key)) out.push(i);
      seen.add(key);
    }
  }
  return out;
}

/** Every issue of `validator.validate(bundle)`, computed in slices with yields between them. */
export async function validateInSlices(
  validator: ResourceValidator,
  bundle: Bundle,
): Promise<OperationOutcomeIssue[]> {
  if (!Array.isArray(bundle.entry)) return validator.validate(bundle).issue ?? [];
  const entries = bundle.entry;
  const issues = await bundleRuleIssues(validator, bundle, entries);
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
