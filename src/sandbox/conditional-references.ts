import type { SearchRequest } from '@medplum/core';
import type { Bundle, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { errorOutcome } from '../fhir/outcomes';
import { isR4ResourceType } from '../fhir/r4-resource-types';
import { readSearchQuery, SearchQueryError } from './search-query';

/**
 * The conditional parts of a transaction, checked and resolved before medplum's router runs it.
 *
 * Conditional references inside a transaction (R4 http.html#trules): a reference written as a
 * search (`Patient?identifier=s|v`) is replaced by the one resource it finds; "if there is no
 * match, or more than one match, the transaction fails". medplum's router stores such references
 * as written, so the sandbox resolves them before handing the Bundle on.
 */

/** Why the transaction fails, with the status to answer. */
export interface ReferenceFailure {
  status: number;
  outcome: OperationOutcome;
}

/**
 * A transaction's entries checked before anything runs, each failure naming its entry:
 * - a POST or PUT whose resource is not of the type its URL names → 400 at `request.url`;
 * - the search criteria of conditional entries (`ifNoneExist`, `PUT Type?…`, `DELETE Type?…`)
 *   read strictly: a misspelled parameter → 400 at `request.ifNoneExist` / `request.url`, never
 *   a silent match (DESIGN.md §8).
 */
export function checkTransactionEntries(bundle: Bundle, baseUrl: string): ReferenceFailure | undefined {
  const entries = bundle.entry ?? [];
  for (let i = 0; i < entries.length; i++) {
    const request = entries[i]?.request;
    if (!request?.url) continue;
    const [path = '', query] = request.url.split('?', 2);
    const type = path.split('/')[0] ?? '';
    const resourceType = entries[i]?.resource?.resourceType;
    if ((request.method === 'POST' || request.method === 'PUT') && resourceType && resourceType !== type) {
      const text = `The entry's resource is a ${resourceType}, but its request.url names ${type || 'no type'}.`;
      return { status: 400, outcome: errorOutcome('invalid', text, `Bundle.entry[${i}].request.url`) };
    }
    const criteria: Array<[string, string]> = [];
    if (request.ifNoneExist !== undefined) criteria.push(['ifNoneExist', request.ifNoneExist]);
    if (query !== undefined) criteria.push(['url', query]);
    for (const [field, text] of criteria) {
      if (!isR4ResourceType(type)) continue; // the router answers an unknown type itself
      try {
        readSearchQuery(type, new URLSearchParams(text), { baseUrl, strict: true });
      } catch (err) {
        if (!(err instanceof SearchQueryError)) throw err;
        const expression = `Bundle.entry[${i}].request.${field}`;
        return {
          status: 400,
          outcome: errorOutcome('invalid', `Conditional criteria: ${err.message}`, expression),
        };
      }
    }
  }
  return undefined;
}

/** Finds the current resources matching a search (the repository's, inside the writer lock). */
export type FindResources = (request: SearchRequest) => Promise<Resource[]>;

/** Longest reference read as a search: bounds the work before any pattern runs. */
const MAX_REFERENCE_LENGTH = 4096;
const CONDITIONAL = /^([A-Z][A-Za-z]{0,63})\?(.+)$/;

/**
 * Rewrites every conditional reference in the Bundle's entries in place, or returns the failure
 * naming the entry and element (`Bundle.entry[i].resource.subject`).
 */
export async function resolveConditionalReferences(
  bundle: Bundle,
  find: FindResources,
  baseUrl: string,
): Promise<ReferenceFailure | undefined> {
  const entries = bundle.entry ?? [];
  for (let i = 0; i < entries.length; i++) {
    const resource = entries[i]?.resource;
    if (!resource) continue;
    for (const { holder, path } of referencesIn(resource, `Bundle.entry[${i}].resource`)) {
      const failure = await resolveOne(holder, path, find, baseUrl);
      if (failure) return failure;
    }
  }
  return undefined;
}

interface ReferenceHolder {
  holder: { reference: string };
  path: string;
}

/** Every object with a string `reference` that reads as a search, with its FHIRPath-like path. */
function referencesIn(node: unknown, path: string, out: ReferenceHolder[] = []): ReferenceHolder[] {
  if (Array.isArray(node)) {
    node.forEach((item, i) => referencesIn(item, `${path}[${i}]`, out));
  } else if (typeof node === 'object' && node !== null) {
    const obj = node as Record<string, unknown>;
    const reference = Object.hasOwn(obj, 'reference') ? obj.reference : undefined;
    if (
      typeof reference === 'string' &&
      reference.length <= MAX_REFERENCE_LENGTH &&
      CONDITIONAL.test(reference)
    ) {
      out.push({ holder: obj as { reference: string }, path });
    }
    for (const [key, value] of Object.entries(obj)) {
      if (typeof value === 'object' && value !== null) referencesIn(value, `${path}.${key}`, out);
    }
  }
  return out;
}

async function resolveOne(
  holder: { reference: string },
  path: string,
  find: FindResources,
  baseUrl: string,
): Promise<ReferenceFailure | undefined> {
  const [, type = '', query = ''] = CONDITIONAL.exec(holder.reference) ?? [];
  const fail = (
    status: number,
    code: Parameters<typeof errorOutcome>[0],
    text: string,
  ): ReferenceFailure => ({
    status,
    outcome: errorOutcome(code, text, `${path}.reference`),
  });
  if (!isR4ResourceType(type))
    return fail(400, 'not-found', `The conditional reference names no R4 resource type.`);
  let request: SearchRequest;
  try {
    // Strict: a misspelled parameter must not silently match everything (DESIGN.md §8).
    request = readSearchQuery(type, new URLSearchParams(query), { baseUrl, strict: true }).request;
  } catch (err) {
    if (err instanceof SearchQueryError)
      return fail(400, 'invalid', `The conditional reference: ${err.message}`);
    throw err;
  }
  const matches = await find({ ...request, offset: 0, count: 2, sortRules: undefined });
  const [match, another] = matches;
  if (!match?.id) {
    return fail(
      400,
      'not-found',
      `The conditional reference ${type}?… matches no resource; the transaction fails.`,
    );
  }
  if (another) {
    return fail(
      412,
      'multiple-matches',
      `The conditional reference ${type}?… matches more than one resource.`,
    );
  }
  holder.reference = `${type}/${match.id}`;
  return undefined;
}
