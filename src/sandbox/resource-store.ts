import type { SearchRequest, WithId } from '@medplum/core';
import { matchesSearchRequest } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { SearchIndex } from './search-index';
import type { Journal } from './transaction-journal';

/** One version of a resource; a delete is a version without a resource (a tombstone). */
export interface StoredVersion {
  versionId: string;
  lastUpdated: string;
  resource: WithId<Resource> | undefined;
}

/**
 * The sandbox's storage: current versions per type (for scans), every version per `Type/id`
 * (history, vread), and the search index. Versions are numbered 1, 2, 3… per resource, so an ETag
 * `W/"2"` reads naturally. Writes are synchronous; the repository serialises them.
 */
export class ResourceStore {
  private readonly current = new Map<string, Map<string, WithId<Resource>>>();
  private readonly history = new Map<string, StoredVersion[]>();
  private readonly index = new SearchIndex();

  /** Number of current (not deleted) resources. */
  get size(): number {
    let n = 0;
    for (const byId of this.current.values()) n += byId.size;
    return n;
  }

  /** The current version, or undefined (never existed or deleted). */
  get(resourceType: string, id: string): WithId<Resource> | undefined {
    return this.current.get(resourceType)?.get(id);
  }

  /** All versions, oldest first (empty when the resource never existed). */
  versions(resourceType: string, id: string): readonly StoredVersion[] {
    return this.history.get(`${resourceType}/${id}`) ?? [];
  }

  /**
   * Writes a new version (`resource`) or a tombstone (`undefined`) and returns the stored copy.
   * The before-image goes to the journal so a failing transaction can undo it.
   */
  write(
    resourceType: string,
    id: string,
    resource: Resource | undefined,
    lastUpdated: string,
    journal: Journal | undefined,
  ): WithId<Resource> | undefined {
    const key = `${resourceType}/${id}`;
    const versions = this.history.get(key) ?? [];
    const previous = this.get(resourceType, id);
    journal?.touch(key, () => ({ current: previous, historyLength: versions.length }));
    const versionId = String(versions.length + 1);
    const stored = resource
      ? ({
          ...structuredClone(resource),
          id,
          meta: { ...resource.meta, versionId, lastUpdated },
        } as WithId<Resource>)
      : undefined;
    versions.push({ versionId, lastUpdated, resource: stored });
    this.history.set(key, versions);
    this.setCurrent(resourceType, id, stored);
    return stored;
  }

  /** Undoes a transaction's writes, newest first. */
  rollback(journal: Journal): void {
    for (const entry of [...journal.entries].reverse()) {
      const [resourceType = '', id = ''] = entry.key.split('/');
      const versions = this.history.get(entry.key);
      if (entry.historyLength === 0) this.history.delete(entry.key);
      else versions?.splice(entry.historyLength);
      this.setCurrent(resourceType, id, entry.current);
    }
  }

  /** Current resources matching the request, using the index to narrow the scan where it can. */
  match(request: SearchRequest): WithId<Resource>[] {
    const types = request.types?.length ? request.types : [request.resourceType];
    const out: WithId<Resource>[] = [];
    for (const resourceType of types) {
      const typed = { ...request, resourceType };
      const byId = this.current.get(resourceType);
      if (!byId) continue;
      const found = this.index.candidates(typed);
      // The index answers its filter exactly; only the other filters need medplum's matcher.
      const rest = found ? { ...typed, filters: typed.filters?.filter((f) => f !== found.resolved) } : typed;
      const candidates = found ? [...found.ids].map((id) => byId.get(id)) : byId.values();
      for (const resource of candidates) {
        if (resource && matchesSearchRequest(resource, rest)) out.push(resource);
      }
    }
    return out;
  }

  private setCurrent(resourceType: string, id: string, resource: WithId<Resource> | undefined): void {
    let byId = this.current.get(resourceType);
    if (!byId) {
      byId = new Map();
      this.current.set(resourceType, byId);
    }
    const previous = byId.get(id);
    if (previous) this.index.remove(previous);
    if (resource) {
      byId.set(id, resource);
      this.index.add(resource);
    } else {
      byId.delete(id);
    }
  }
}
