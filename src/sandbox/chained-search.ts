import type { SearchRequest } from '@medplum/core';
import { Operator } from '@medplum/core';
import type { FindResources } from './conditional-references';
import { readSearchQuery, type SearchQuery } from './search-query';

/**
 * Chained search, one level deep (R4 search.html#chaining): `Communication?subject:Patient.
 * identifier=s|v` becomes `subject=Patient/a,Patient/b` for the Patients that `identifier=s|v`
 * finds — two indexed lookups, not a scan. Returns the request to run, or `undefined` when a chain
 * finds nothing (so nothing can match).
 */
export async function resolveChains(
  query: SearchQuery,
  findAll: FindResources,
  baseUrl: string,
): Promise<SearchRequest | undefined> {
  if (query.chains.length === 0) return query.request;
  const filters = [...(query.request.filters ?? [])];
  for (const chain of query.chains) {
    const references: string[] = [];
    for (const type of chain.targets) {
      // Strict: the inner parameter is known by construction; a malformed value is a 400.
      const inner = readSearchQuery(type, [[chain.inner, chain.value]], { baseUrl, strict: true });
      const found = await findAll(inner.request);
      references.push(...found.map((r) => `${type}/${r.id ?? ''}`));
    }
    if (references.length === 0) return undefined;
    filters.push({ code: chain.code, operator: Operator.EQUALS, value: references.join(',') });
  }
  return { ...query.request, filters };
}
