import type { Bundle, Resource } from '@medplum/fhirtypes';
import { IDENTIFIER_SYSTEM } from '../fhir/canonical';
import { isFhirId } from '../fhir/id-pattern';
import { isJsonObject } from '../fhir/json-object';
import { parseJsonText } from '../fhir/json';
import { identifierQuery } from '../outbox/delivery-unit';
import type { Destination, DestinationReader, DestinationRegistry } from './ports/destination-port';
import type { Store } from './ports/store-port';
import type { ReplyOrigin, ReplyResult } from './receive-reply';

/**
 * The reply pull (DESIGN.md §6b): for every destination with `"pullReplies": true`, the sync asks
 * its server for `Communication?recipient=Organization/<the practice there>&_lastUpdated=gt<watermark>`
 * and follows `link[relation=next]` to the last page (R4 http.html#paging: the links are opaque,
 * so they are followed as given, under the destination's base URL). Each Communication goes through
 * the same receipt as a pushed reply (bounded, validated, linked or kept for review, audited,
 * stored once by its identifier or its id there). The watermark — the newest `meta.lastUpdated`
 * read — is stored only after the last page, so a pull cut short is read again next time (the
 * receipt is idempotent). Single-flight: a pull asked for while one runs joins it.
 */

export interface ReplyPullDeps {
  store: Pick<Store, 'getReplyWatermark' | 'setReplyWatermark'>;
  reader: DestinationReader;
  destinations: DestinationRegistry;
  receive(resource: unknown, origin: ReplyOrigin): Promise<ReplyResult>;
  /** The practice's business identifier: how its Organization is found on each server. */
  practiceIdentifier: { system: string; value: string };
  clock: () => Date;
  /** `_count` asked for (default 50). */
  pageSize?: number;
  /** Pages read per destination per pull at most (default 1,000): a server's link loop ends here. */
  maxPages?: number;
}

export interface PullSummary {
  /** Destinations asked. */
  destinations: number;
  pages: number;
  /** Replies stored for the first time. */
  received: number;
  /** Replies already stored (read again). */
  duplicates: number;
  /** Communications refused (unbounded or invalid text, not a reply): counted and logged, not stored. */
  refused: number;
  /** Destinations whose pull failed (their watermark stays; read again next time), with why. */
  failed: Array<{ destinationId: string; reason: string }>;
}

export interface ReplyPull {
  pull(): Promise<PullSummary>;
  readonly running: boolean;
}

export function createReplyPull(deps: ReplyPullDeps): ReplyPull {
  let current: Promise<PullSummary> | null = null;
  return {
    pull() {
      current ??= pullAll(deps).finally(() => (current = null));
      return current;
    },
    get running() {
      return current !== null;
    },
  };
}

async function pullAll(deps: ReplyPullDeps): Promise<PullSummary> {
  const summary: PullSummary = {
    destinations: 0,
    pages: 0,
    received: 0,
    duplicates: 0,
    refused: 0,
    failed: [],
  };
  for (const dest of deps.destinations.list()) {
    if (!dest.pullReplies) continue;
    summary.destinations++;
    // One destination's trouble (or a bug) stops only its own pull, never the others or the sync.
    const failed = await pullDestination(deps, dest, summary).catch(
      (err: unknown) => `the pull failed unexpectedly (${err instanceof Error ? err.name : 'error'})`,
    );
    if (failed) summary.failed.push({ destinationId: dest.id, reason: failed });
  }
  return summary;
}

/** Reads every page for one destination; returns why it stopped early, if it did. */
async function pullDestination(
  deps: ReplyPullDeps,
  dest: Destination,
  summary: PullSummary,
): Promise<string | undefined> {
  const practice = await findPractice(deps, dest);
  if (!practice.ok) return practice.reason;
  // Nothing can be addressed to the practice on a server that does not know it yet.
  if (practice.value === undefined) return undefined;
  const watermark = await deps.store.getReplyWatermark(dest.id);
  const since = watermark ? `&_lastUpdated=${encodeURIComponent(`gt${watermark}`)}` : '';
  let query: { path: string } | { next: string } = {
    path: `Communication?recipient=${encodeURIComponent(`Organization/${practice.value}`)}${since}&_count=${deps.pageSize ?? 50}`,
  };
  let newest = watermark ?? undefined;
  const seen = new Set<string>();
  for (let page = 0; page < (deps.maxPages ?? 1000); page++) {
    const bundle = await readBundle(deps, dest, query);
    if (!bundle.ok) return bundle.reason;
    summary.pages++;
    for (const resource of matches(bundle.value)) {
      newest = later(newest, resource.meta?.lastUpdated);
      if (isOwnUpdate(resource)) continue;
      const result = await deps.receive(resource, {
        channel: 'pull',
        destinationId: dest.id,
        readRemote: remoteIdentifiers(deps, dest),
      });
      if (result.status === 'created') summary.received++;
      else if (result.status === 'unchanged') summary.duplicates++;
      else summary.refused++;
    }
    const next = nextLink(bundle.value);
    if (!next) {
      if (newest && newest !== watermark) await deps.store.setReplyWatermark(dest.id, newest, deps.clock());
      return undefined;
    }
    if (seen.has(next)) return `destination "${dest.id}" returned the same next link twice`;
    seen.add(next);
    query = { next };
  }
  return `destination "${dest.id}" has more than ${deps.maxPages ?? 1000} pages of replies; the rest is read next time`;
}

type Read<T> = { ok: true; value: T } | { ok: false; reason: string };

async function readBundle(
  deps: ReplyPullDeps,
  dest: Destination,
  query: { path: string } | { next: string },
): Promise<Read<Bundle>> {
  const reply = await deps.reader.search(dest, query);
  if (!reply.ok) return { ok: false, reason: reasonOf(reply.failure.outcome) };
  // The one strict parser at every boundary (DESIGN.md §8): what a server answers is input too.
  const parsed = parseJsonText(reply.body);
  if (!parsed.ok || !isJsonObject(parsed.value) || parsed.value.resourceType !== 'Bundle') {
    return { ok: false, reason: `destination "${dest.id}" did not answer the search with a Bundle` };
  }
  return { ok: true, value: parsed.value as unknown as Bundle };
}

function reasonOf(outcome: { issue?: Array<{ details?: { text?: string }; code?: string }> }): string {
  return outcome.issue?.[0]?.details?.text ?? outcome.issue?.[0]?.code ?? 'failed';
}

/** The practice's Organization id on the destination, found by its business identifier. */
async function findPractice(deps: ReplyPullDeps, dest: Destination): Promise<Read<string | undefined>> {
  const bundle = await readBundle(deps, dest, {
    path: `Organization?${identifierQuery(deps.practiceIdentifier)}&_count=2`,
  });
  if (!bundle.ok) return bundle;
  const entries: unknown[] = Array.isArray(bundle.value.entry) ? bundle.value.entry : [];
  const org = entries.find(
    (e) => isJsonObject(e) && isJsonObject(e.resource) && e.resource.resourceType === 'Organization',
  );
  const id = isJsonObject(org) && isJsonObject(org.resource) ? org.resource.id : undefined;
  return { ok: true, value: typeof id === 'string' && isFhirId(id) ? id : undefined };
}

/**
 * The search's matches (not included resources or outcomes) that are Communications. The Bundle
 * is a server's answer, parsed but not validated: every step checks what it reads.
 */
function matches(bundle: Bundle): Resource[] {
  const entries: unknown[] = Array.isArray(bundle.entry) ? bundle.entry : [];
  return entries.flatMap((e) => {
    if (!isJsonObject(e) || !isJsonObject(e.resource) || e.resource.resourceType !== 'Communication')
      return [];
    const mode = isJsonObject(e.search) ? e.search.mode : undefined;
    return mode === 'include' || mode === 'outcome' ? [] : [e.resource as unknown as Resource];
  });
}

/** `link[relation=next].url`, when the Bundle has one (R4 http.html#paging). */
function nextLink(bundle: Bundle): string | undefined {
  const links: unknown[] = Array.isArray(bundle.link) ? bundle.link : [];
  const next = links.find((l) => isJsonObject(l) && l.relation === 'next');
  return isJsonObject(next) && typeof next.url === 'string' ? next.url : undefined;
}

/** The practice's own integration updates are never replies (they are addressed to the clinician anyway). */
function isOwnUpdate(resource: Resource): boolean {
  const ids = (resource as { identifier?: Array<{ system?: unknown }> }).identifier;
  return Array.isArray(ids) && ids.some((i) => i?.system === IDENTIFIER_SYSTEM.integrationUpdate);
}

function later(a: string | undefined, b: unknown): string | undefined {
  if (typeof b !== 'string' || b.length > 40 || Number.isNaN(Date.parse(b))) return a;
  return a === undefined || Date.parse(b) > Date.parse(a) ? b : a;
}

/** What a literal reference of a pulled reply names on that server: the identifiers of the resource there. */
function remoteIdentifiers(deps: ReplyPullDeps, dest: Destination) {
  return async (type: string, id: string): Promise<Array<{ system: string; value: string }>> => {
    const reply = await deps.reader.read(dest, type, id);
    if (!reply.ok) return [];
    const parsed = parseJsonText(reply.body);
    const ids = parsed.ok && isJsonObject(parsed.value) ? parsed.value.identifier : undefined;
    if (!Array.isArray(ids)) return [];
    return ids
      .slice(0, 10)
      .flatMap((i: unknown) =>
        isJsonObject(i) &&
        typeof i.system === 'string' &&
        typeof i.value === 'string' &&
        i.system.length <= 512 &&
        i.value.length <= 128
          ? [{ system: i.system, value: i.value }]
          : [],
      );
  };
}
