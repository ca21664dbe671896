import type { Bundle, BundleLink, OperationOutcome } from '@medplum/fhirtypes';
import type { SearchQuery } from './search-query';

/**
 * Completes a searchset page for the wire (R4 http.html#search, search.html#paging, bundle.html):
 * each match gets its absolute `fullUrl`; the Bundle gets a `self` link holding the parameters
 * that were used (how a client learns that one was ignored, search.html#errors) and `next` /
 * `previous` links while there are more results; parameters that were not used are also named in
 * an OperationOutcome entry (`search.mode = outcome`). `total` stays the number of all matches.
 */
export function completeSearchset(bundle: Bundle, type: string, query: SearchQuery, baseUrl: string): Bundle {
  const total = bundle.total ?? 0;
  const link = (offset: number): string => {
    const params = new URLSearchParams([
      ...query.used,
      ...query.chains.map((c): [string, string] => [c.key, c.value]),
    ]);
    params.set('_count', String(query.count));
    if (offset > 0) params.set('_offset', String(offset));
    return `${baseUrl}/${type}?${params.toString()}`;
  };
  const links: BundleLink[] = [{ relation: 'self', url: link(query.offset) }];
  if (query.count > 0 && query.offset + query.count < total) {
    links.push({ relation: 'next', url: link(query.offset + query.count) });
  }
  if (query.count > 0 && query.offset > 0) {
    links.push({ relation: 'previous', url: link(Math.max(0, query.offset - query.count)) });
  }
  const entry = (bundle.entry ?? []).map((e) => ({
    ...(e.resource?.id ? { fullUrl: `${baseUrl}/${e.resource.resourceType}/${e.resource.id}` } : {}),
    ...e,
  }));
  if (query.ignored.length > 0) {
    entry.push({ resource: ignoredOutcome(query.ignored), search: { mode: 'outcome' } });
  }
  return { resourceType: 'Bundle', type: 'searchset', total, link: links, entry };
}

function ignoredOutcome(ignored: readonly string[]): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: ignored.map((name) => ({
      severity: 'warning',
      code: 'not-supported',
      details: { text: `Search parameter "${name}" is not supported here and was not used.` },
      expression: [name],
    })),
  };
}
