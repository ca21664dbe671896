import type { SearchRequest, SortRule, WithId } from '@medplum/core';
import {
  badRequest,
  evalFhirPath,
  generateId,
  globalSchema,
  gone,
  notFound,
  OperationOutcomeError,
  Operator,
  preconditionFailed,
} from '@medplum/core';
import type {
  CreateResourceOptions,
  ReadHistoryOptions,
  RepositoryMode,
  UpdateResourceOptions,
} from '@medplum/fhir-router';
import { FhirRepository } from '@medplum/fhir-router';
import type { Bundle, BundleEntry, OperationOutcomeIssue, Reference, Resource } from '@medplum/fhirtypes';
import { errorOutcome } from '../fhir/outcomes';
import { isR4ResourceType } from '../fhir/r4-resource-types';
import { createValidator } from '../fhir/validator';
import type { FhirValidator } from '../fhir/validator';
import { loadR4Definitions } from './definitions';
import { ResourceStore } from './resource-store';
import { conditionalFilters, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, SearchQueryError } from './search-query';
import { ExclusiveLock } from './transaction-journal';

export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE };

/** The resource a read or write was about when it failed: how a failing transaction names its entry. */
export interface FailedWrite {
  resourceType: string;
  id: string;
}

/** Options of {@link SandboxRepository}. */
export interface SandboxRepositoryOptions {
  /** Source of `meta.lastUpdated` (injected so tests and demos can fix time). */
  clock: () => Date;
}

/**
 * The sandbox's FHIR repository for medplum's `FhirRouter`: in memory, but unlike medplum's
 * `MemoryRepository` it validates what it stores against base R4 with the project validator
 * (required bindings included, as a strict FHIR server checks them), indexes identifier and
 * patient/subject searches, numbers versions, and makes transactions all-or-nothing. Every write
 * is serialised ({@link ExclusiveLock}), so conditional creates cannot race.
 */
export class SandboxRepository extends FhirRepository<undefined> {
  private readonly store = new ResourceStore();
  private readonly lock = new ExclusiveLock();
  private readonly clock: () => Date;
  // Base R4 only: a stand-in EHR does not know kap-bridge's profiles or extensions. A meta.profile
  // claim is at most a warning; an unknown extension is ignored (an unknown modifier extension is
  // refused), as FHIR's extensibility rules ask of a receiver.
  private readonly validator: FhirValidator;
  /** Results of `updateResource` that created the resource (R4 http.html#upsert: 201). */
  private readonly createdByUpdate = new WeakSet<object>();
  /** The last write that threw, until the next request clears it. */
  private failedWrite: FailedWrite | undefined;

  constructor(options: SandboxRepositoryOptions) {
    super();
    loadR4Definitions();
    this.clock = options.clock;
    this.validator = createValidator({ options: { allowAnyExtensions: true } });
  }

  /** Number of current (not deleted) resources — for tests and the benchmark. */
  get size(): number {
    return this.store.size;
  }

  /** Runs `fn` holding the repository's single-writer lock (re-entrant). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.lock.run(fn);
  }

  setMode(_mode: RepositoryMode): void {
    // One in-memory store: no reader/writer split.
  }

  generateId(): string {
    return generateId();
  }

  withTransaction<TResult>(callback: (client: undefined) => Promise<TResult>): Promise<TResult> {
    return this.lock.transaction(
      () => callback(undefined),
      (journal) => this.store.rollback(journal),
    );
  }

  createResource<T extends Resource>(resource: T, options?: CreateResourceOptions): Promise<WithId<T>> {
    // R4 http.html#create: the server assigns the id; a Bundle entry's id was assigned by the
    // router while resolving references (`assignedId`).
    const id = options?.assignedId && resource.id ? resource.id : this.generateId();
    return this.exclusive(async () => this.put({ ...resource, id }));
  }

  updateResource<T extends Resource>(resource: T, options?: UpdateResourceOptions): Promise<WithId<T>> {
    return this.exclusive(async () => {
      const id = resource.id;
      if (!id) throw new OperationOutcomeError(badRequest('Missing id', `${resource.resourceType}.id`));
      const existing = this.store.get(resource.resourceType, id);
      if (options?.ifMatch) {
        // R4 http.html#concurrency: If-Match names the version the client expects to replace.
        if (!existing) throw this.failed(resource.resourceType, id, new OperationOutcomeError(notFound));
        if (existing.meta?.versionId !== options.ifMatch) {
          throw this.failed(resource.resourceType, id, new OperationOutcomeError(preconditionFailed));
        }
      }
      const stored = this.put({ ...resource, id });
      // A new id, or one whose resource was deleted: create-by-update (R4 http.html#upsert).
      if (!existing) this.createdByUpdate.add(stored);
      return stored;
    });
  }

  /** Whether `resource` (as returned by `updateResource`) was created rather than replaced. */
  wasCreatedByUpdate(resource: object): boolean {
    return this.createdByUpdate.has(resource);
  }

  /** The read or write that failed last in this request, to name the failing transaction entry. */
  takeFailedWrite(): FailedWrite | undefined {
    const failed = this.failedWrite;
    this.failedWrite = undefined;
    return failed;
  }

  patchResource<T extends Resource>(): Promise<WithId<T>> {
    return Promise.reject(
      new OperationOutcomeError(errorOutcome('not-supported', 'The sandbox does not support PATCH.')),
    );
  }

  async readResource<T extends Resource>(resourceType: string, id: string): Promise<WithId<T>> {
    const resource = this.store.get(resourceType, id);
    if (resource) return structuredClone(resource) as WithId<T>;
    // R4 http.html#read: a deleted resource answers 410 Gone, an unknown one 404.
    const missing = this.store.versions(resourceType, id).length ? gone : notFound;
    throw this.failed(resourceType, id, new OperationOutcomeError(missing));
  }

  readReference<T extends Resource>(reference: Reference<T>): Promise<WithId<T>> {
    const [resourceType, id, extra] = reference.reference?.split('/') ?? [];
    if (!resourceType || !id || extra !== undefined) {
      return Promise.reject(new OperationOutcomeError(badRequest('Invalid reference')));
    }
    return this.readResource<T>(resourceType, id);
  }

  readReferences<T extends Resource>(references: readonly Reference<T>[]): Promise<(T | Error)[]> {
    return Promise.all(references.map((r) => this.readReference(r).catch((err: Error) => err)));
  }

  async readHistory<T extends Resource>(
    resourceType: string,
    id: string,
    options?: ReadHistoryOptions,
  ): Promise<Bundle<WithId<T>>> {
    const versions = [...this.store.versions(resourceType, id)].reverse();
    if (versions.length === 0) throw new OperationOutcomeError(notFound);
    const offset = options?.offset ?? 0;
    const page = versions.slice(offset, offset + (options?.limit ?? MAX_PAGE_SIZE));
    const entry: BundleEntry<WithId<T>>[] = page.map((v) => ({
      ...(v.resource ? { resource: structuredClone(v.resource) as WithId<T> } : {}),
      request: { method: v.resource ? 'PUT' : 'DELETE', url: `${resourceType}/${id}` },
      response: {
        status: v.resource ? '200' : '204',
        etag: `W/"${v.versionId}"`,
        lastModified: v.lastUpdated,
      },
    }));
    return { resourceType: 'Bundle', type: 'history', total: versions.length, entry };
  }

  async readVersion<T extends Resource>(resourceType: string, id: string, vid: string): Promise<WithId<T>> {
    const version = this.store.versions(resourceType, id).find((v) => v.versionId === vid);
    if (!version) throw this.failed(resourceType, id, new OperationOutcomeError(notFound));
    if (!version.resource) throw this.failed(resourceType, id, new OperationOutcomeError(gone));
    return structuredClone(version.resource) as WithId<T>;
  }

  /**
   * Every current resource matching `request`, unpaged (for chained search). Filters are read as
   * in {@link search}.
   */
  findAll(request: SearchRequest): WithId<Resource>[] {
    let filters: SearchRequest['filters'];
    try {
      filters = request.filters && conditionalFilters(request.resourceType, request.filters);
    } catch (err) {
      if (err instanceof SearchQueryError)
        throw new OperationOutcomeError(badRequest(err.message, err.expression));
      throw err;
    }
    return this.store.match({ ...request, filters });
  }

  /**
   * Searches current resources. Reference values are normalised (`patient=123` finds
   * `Patient/123`); an unknown parameter is refused (400) — the server's own search answers strip
   * or refuse those first, so what reaches here with one is a conditional operation, which must
   * never act on a silent empty match (DESIGN.md §8).
   */
  async search<T extends Resource>(request: SearchRequest<T>): Promise<Bundle<WithId<T>>> {
    const matches = this.findAll(request) as WithId<T>[];
    for (const rule of [...(request.sortRules ?? [])].reverse()) {
      matches.sort((a, b) => compareBy(a, b, rule));
    }
    const offset = request.offset ?? 0;
    const count = Math.min(request.count ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
    const page = matches.slice(offset, offset + count);
    return {
      resourceType: 'Bundle',
      type: 'searchset',
      total: matches.length,
      entry: page.map((resource) => ({ resource: structuredClone(resource), search: { mode: 'match' } })),
    };
  }

  async searchByReference<T extends Resource>(
    request: SearchRequest<T>,
    referenceField: string,
    references: string[],
  ): Promise<Record<string, WithId<T>[]>> {
    const out: Record<string, WithId<T>[]> = {};
    for (const reference of references) {
      const filters = [
        ...(request.filters ?? []),
        { code: referenceField, operator: Operator.EQUALS, value: reference },
      ];
      out[reference] = await this.searchResources({ ...request, filters });
    }
    return out;
  }

  /**
   * Deletes the current version. Deleting what is already deleted, or was never there, succeeds
   * too (R4 http.html#delete: "or if the resource does not exist at all", 200 or 204): the sandbox
   * answers 200 both times, with an OperationOutcome.
   */
  deleteResource(resourceType: string, id: string): Promise<void> {
    return this.exclusive(async () => {
      if (!this.store.get(resourceType, id)) return;
      this.store.write(resourceType, id, undefined, this.now(), this.lock.journal());
    });
  }

  /** Validates and stores a new version; the caller holds the lock. */
  private put<T extends Resource>(resource: T & { id: string }): WithId<T> {
    try {
      checkResource(resource, this.validator);
    } catch (err) {
      throw this.failed(resource.resourceType, resource.id, err);
    }
    const stored = this.store.write(
      resource.resourceType,
      resource.id,
      resource,
      this.now(),
      this.lock.journal(),
    );
    return structuredClone(stored) as WithId<T>;
  }

  private failed(resourceType: string, id: string, err: unknown): unknown {
    this.failedWrite = { resourceType, id };
    return err;
  }

  private now(): string {
    return this.clock().toISOString();
  }
}

/**
 * Validates against base R4. A resource that parses but breaks the specification answers 422
 * (R4 http.html#2.21.0.17: "the proposed resource violated applicable FHIR profiles or server
 * business rules"). The outcome carries medplum's `business-rule` status token as its id because
 * the router derives every status from it (`getStatus`), batch entries included; the server
 * removes such tokens before the outcome goes on the wire (sandbox-server.ts).
 */
function checkResource(resource: Resource, validator: FhirValidator): void {
  if (!isR4ResourceType(resource.resourceType)) {
    throw new OperationOutcomeError(badRequest(`Unknown resource type: ${String(resource.resourceType)}`));
  }
  const issues = validator.validate(resource).issue ?? [];
  const isError = (i: OperationOutcomeIssue): boolean => i.severity === 'error' || i.severity === 'fatal';
  if (!issues.some(isError)) return;
  // Errors first: a client (and a person) reads the first issue as the reason.
  const ordered = [...issues.filter(isError), ...issues.filter((i) => !isError(i))];
  throw new OperationOutcomeError({ resourceType: 'OperationOutcome', id: UNPROCESSABLE, issue: ordered });
}

/** medplum's status token for 422 (`getStatus` in @medplum/core outcomes.ts). */
const UNPROCESSABLE = 'business-rule';

function compareBy(a: Resource, b: Resource, rule: SortRule): number {
  const expression = globalSchema.types[a.resourceType]?.searchParams?.[rule.code]?.expression;
  if (!expression) return 0;
  const left = JSON.stringify(evalFhirPath(expression, a));
  const right = JSON.stringify(evalFhirPath(expression, b));
  return left.localeCompare(right) * (rule.descending ? -1 : 1);
}
