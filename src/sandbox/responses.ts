import type { Bundle, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { allOk } from '../fhir/outcomes';
import type { FhirPreferences } from '../fhir/http-preferences';
import type { FailedWrite } from './sandbox-repository';

/** Shaping the router's answers for the wire (R4 http.html). */

/**
 * medplum's batch responses carry `location: Type/id`; R4 http.html#transaction-response asks for
 * the version too (`Type/id/_history/vid`) plus `etag` and `lastModified`, which delivery records.
 * An entry whose PUT created the resource answers 201 (http.html#upsert). Under
 * `Prefer: return=minimal` or `OperationOutcome` the entries carry no resource (http.html#ops).
 */
export function annotateBundleResponse(
  bundle: Bundle,
  baseUrl: string,
  createdByUpdate: (resource: object) => boolean,
  prefer: FhirPreferences,
): void {
  if (bundle.type !== 'transaction-response' && bundle.type !== 'batch-response') return;
  for (const entry of bundle.entry ?? []) {
    if (entry.response?.outcome) entry.response.outcome = withoutStatusToken(entry.response.outcome);
    const resource: Resource | undefined = entry.resource;
    const meta = resource?.meta;
    if (!entry.response || !resource?.id || !meta?.versionId) continue;
    if (createdByUpdate(resource)) entry.response.status = '201';
    entry.fullUrl = `${baseUrl}/${resource.resourceType}/${resource.id}`;
    entry.response.location = `${resource.resourceType}/${resource.id}/_history/${meta.versionId}`;
    entry.response.etag = `W/"${meta.versionId}"`;
    if (meta.lastUpdated) entry.response.lastModified = meta.lastUpdated;
    if (prefer.return !== 'representation') delete entry.resource;
  }
}

/**
 * The body of a create or update under `Prefer: return=` (R4 http.html#ops): the resource, nothing,
 * or an OperationOutcome saying what was done.
 */
export function preferredBody(
  resource: Resource,
  status: number,
  prefer: FhirPreferences,
): Resource | undefined {
  if (prefer.return === 'minimal') return undefined;
  if (prefer.return === 'OperationOutcome') {
    const what = status === 201 ? 'Created' : 'Updated';
    return allOk(
      `${what} ${resource.resourceType}/${resource.id} version ${resource.meta?.versionId ?? '?'}.`,
    );
  }
  return resource;
}

/**
 * medplum's outcomes carry a status token as their id (`ok`, `created`, `not-found`,
 * `business-rule`, …) from which `getStatus` derives the HTTP status. Once the status is known the
 * token is an internal detail: an OperationOutcome answered inline has no identity (R4
 * operationoutcome.html), so it goes out without an id.
 */
export function withoutStatusToken(outcome: OperationOutcome): OperationOutcome {
  const { id: _token, ...rest } = outcome;
  return rest;
}

/**
 * Names the entry of a failed transaction in its OperationOutcome (`Bundle.entry[i]`), from the
 * write that failed: the router processes entries out of Bundle order (deletes, creates, updates,
 * reads) and reports only the entry's own outcome. Issue expressions about the resource
 * (`Patient.gender`) become paths in the Bundle (`Bundle.entry[1].resource.gender`).
 */
export function nameFailingEntry(
  outcome: OperationOutcome,
  bundle: Bundle,
  failed: FailedWrite | undefined,
): OperationOutcome {
  const issues = outcome.issue ?? [];
  if (!failed || issues.some((i) => i.expression?.some((e) => e.startsWith('Bundle.entry[')))) return outcome;
  const reference = `${failed.resourceType}/${failed.id}`;
  const index = (bundle.entry ?? []).findIndex(
    (e) =>
      (e.resource?.resourceType === failed.resourceType && e.resource.id === failed.id) ||
      e.request?.url === reference ||
      e.request?.url?.startsWith(`${reference}/`) === true,
  );
  if (index < 0) return outcome;
  const entry = `Bundle.entry[${index}]`;
  const inBundle = (expression: string): string =>
    expression === failed.resourceType || expression.startsWith(`${failed.resourceType}.`)
      ? `${entry}.resource${expression.slice(failed.resourceType.length)}`
      : expression;
  return {
    ...outcome,
    issue: issues.map((i) => {
      const mapped = (i.expression ?? []).map(inBundle);
      return { ...i, expression: mapped.some((e) => e.startsWith(entry)) ? mapped : [entry, ...mapped] };
    }),
  };
}
