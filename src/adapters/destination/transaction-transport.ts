import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import { randomUUID } from 'node:crypto';
import { retry, type DeliveryFailure } from './failures';
import type { DestinationSession } from './destination-session';
import { referenceFrom } from './destination-session';
import {
  identifierQuery,
  localKeys,
  prepareForSend,
  type DeliveredLocation,
  type UnitEntry,
} from '../../outbox/delivery-unit';

/**
 * Transport `transaction` (R4 http.html#transaction): every write in one Bundle, all-or-nothing.
 * Each entry gets a `urn:uuid` fullUrl and references between entries point at those, so the
 * server resolves them to the ids it assigns; conditional create = `request.ifNoneExist`,
 * conditional update = `PUT Type?identifier=system|value`. A replay after a lost response matches
 * the copies committed the first time (200 instead of 201) — no second copy.
 */

const MINIMAL = { prefer: 'return=minimal' };

/** A unit entry to write, with the method the destination's policy gives it (`effectiveMethod`). */
export interface UnitEntryWrite {
  entry: UnitEntry;
  method: 'conditional-create' | 'conditional-update';
}

/** Pushes `writes` (dependency order) as one transaction; `resolved` maps local keys of
 * must-exist entries to their `Type/id` on the destination. */
export async function pushTransaction(
  session: DestinationSession,
  writes: readonly UnitEntryWrite[],
  resolved: ReadonlyMap<string, string>,
  newUuid: () => string = randomUUID,
): Promise<{ ok: true; locations: DeliveredLocation[] } | { ok: false; failure: DeliveryFailure }> {
  const refMap = new Map(resolved);
  const fullUrls = writes.map(({ entry }) => {
    const fullUrl = entry.fullUrl?.startsWith('urn:uuid:') ? entry.fullUrl : `urn:uuid:${newUuid()}`;
    localKeys(entry).forEach((k) => refMap.set(k, fullUrl));
    return fullUrl;
  });
  const bundleEntries: BundleEntry[] = writes.map(({ entry, method }, i) => {
    const type = entry.resource.resourceType;
    const query = identifierQuery(entry.identifier);
    return {
      fullUrl: fullUrls[i],
      resource: prepareForSend(entry.resource, refMap),
      request:
        method === 'conditional-create'
          ? { method: 'POST', url: type, ifNoneExist: query }
          : { method: 'PUT', url: `${type}?${query}` },
    };
  });
  const bundle: Bundle = { resourceType: 'Bundle', type: 'transaction', entry: bundleEntries };
  // What delivery records of each entry is its status and location, never the stored copy:
  // `return=minimal` spares the destination writing every resource back, and the relay reading
  // them (R4 http.html#ops; a server that ignores it answers with them, which reads the same).
  const reply = await session.send({ method: 'POST', path: '', body: bundle, headers: MINIMAL });
  if (!reply.ok) return reply;
  return readTransactionResponse(reply.body, writes);
}

function statusOf(text: string | undefined): number {
  return Number(/^\s*(\d{3})/.exec(text ?? '')?.[1] ?? NaN);
}

/**
 * Reads a transaction-response: one entry per request, in order (R4 bundle.html#transaction-response).
 * A 2xx whose body cannot be read is retried: the writes are conditional, so a replay is safe.
 */
function readTransactionResponse(
  body: unknown,
  writes: readonly UnitEntryWrite[],
): { ok: true; locations: DeliveredLocation[] } | { ok: false; failure: DeliveryFailure } {
  const bundle = body as Bundle | undefined;
  const entries = bundle?.resourceType === 'Bundle' ? (bundle.entry ?? []) : [];
  if (entries.length !== writes.length) {
    return {
      ok: false,
      failure: retry('unreadable-response', 'the transaction response does not have one entry per request'),
    };
  }
  const locations: DeliveredLocation[] = [];
  for (const [i, { entry, method }] of writes.entries()) {
    const e = entries[i];
    const type = entry.resource.resourceType;
    const status = statusOf(e?.response?.status);
    const reference = referenceFrom(type, e?.resource, e?.response?.location);
    if (!reference || !(status >= 200 && status < 300)) {
      return {
        ok: false,
        failure: retry(
          'unreadable-response',
          `the transaction response entry ${i} (${type}) has no usable status or location`,
        ),
      };
    }
    const outcome =
      status === 201 ? 'created' : method === 'conditional-create' ? 'already-there' : 'updated';
    locations.push({
      resourceType: type,
      identifier: entry.identifier,
      reference,
      location: e?.response?.location,
      outcome,
    });
  }
  return { ok: true, locations };
}
