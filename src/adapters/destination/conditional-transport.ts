import type { Resource } from '@medplum/fhirtypes';
import { permanent, retry, type DeliveryFailure } from './failures';
import { referenceFrom, type DestinationSession, type SessionReply } from './destination-session';
import {
  identifierQuery,
  localKeys,
  prepareForSend,
  type DeliveredLocation,
  type EntryOutcome,
} from '../../outbox/delivery-unit';
import type { UnitEntryWrite } from './transaction-transport';

/**
 * Transport `conditional`: one request per resource, in dependency order, each reference
 * rewritten to the id the destination assigned to what it points at. Conditional create is
 * `POST Type` with `If-None-Exist` (R4 http.html#ccreate: 201 created, 200 already there);
 * conditional update is `PUT Type?identifier=…` (http.html#cond-update). For a type whose
 * CapabilityStatement lacks the conditional operation but offers search by identifier, the
 * operation is emulated: search, then create or update by id. The relay's lease keeps two
 * workers from racing on one item, and a replay finds what the first attempt committed.
 */

type Step = { ok: true; location: DeliveredLocation } | { ok: false; failure: DeliveryFailure };

/** Pushes `writes` one by one; stops at the first failure (a replay redoes all, safely). */
export async function pushConditional(
  session: DestinationSession,
  writes: readonly UnitEntryWrite[],
  resolved: ReadonlyMap<string, string>,
  emulate: ReadonlySet<string>,
): Promise<{ ok: true; locations: DeliveredLocation[] } | { ok: false; failure: DeliveryFailure }> {
  const refMap = new Map(resolved);
  const locations: DeliveredLocation[] = [];
  for (const w of writes) {
    const body = prepareForSend(w.entry.resource, refMap);
    const step = emulate.has(body.resourceType)
      ? await emulated(session, w, body)
      : await native(session, w, body);
    if (!step.ok) return step;
    localKeys(w.entry).forEach((k) => refMap.set(k, step.location.reference));
    locations.push(step.location);
  }
  return { ok: true, locations };
}

async function native(session: DestinationSession, w: UnitEntryWrite, body: Resource): Promise<Step> {
  const type = body.resourceType;
  const query = identifierQuery(w.entry.identifier);
  const reply =
    w.method === 'conditional-create'
      ? await session.send({
          method: 'POST',
          path: type,
          body,
          headers: { 'if-none-exist': query, prefer: 'return=representation' },
        })
      : await session.send({
          method: 'PUT',
          path: `${type}?${query}`,
          body,
          headers: { prefer: 'return=representation' },
        });
  if (!reply.ok) return reply;
  const outcome: EntryOutcome =
    reply.res.status === 201 ? 'created' : w.method === 'conditional-create' ? 'already-there' : 'updated';
  return located(session, w, reply, outcome);
}

/** Builds the location from a reply; searches by identifier when the reply names no id. */
async function located(
  session: DestinationSession,
  w: UnitEntryWrite,
  reply: SessionReply & { ok: true },
  outcome: EntryOutcome,
): Promise<Step> {
  const type = w.entry.resource.resourceType;
  const location = reply.res.headers.location;
  let reference = referenceFrom(type, reply.body, location);
  if (!reference) {
    const found = await session.searchByIdentifier(type, w.entry.identifier);
    if (!found.ok) return found;
    const id = found.matches.length === 1 ? found.matches[0]?.id : undefined;
    if (!id)
      return { ok: false, failure: retry('unlocated', `${type} was written but its id could not be found`) };
    reference = `${type}/${id}`;
  }
  return {
    ok: true,
    location: { resourceType: type, identifier: w.entry.identifier, reference, location, outcome },
  };
}

async function emulated(session: DestinationSession, w: UnitEntryWrite, body: Resource): Promise<Step> {
  const type = body.resourceType;
  const found = await session.searchByIdentifier(type, w.entry.identifier);
  if (!found.ok) return found;
  const [match, ...more] = found.matches;
  if (more.length > 0) {
    return {
      ok: false,
      failure: permanent(
        'multiple-matches',
        `the destination holds several ${type} with identifier ${w.entry.identifier.system}|${w.entry.identifier.value}; refusing to guess which one to use`,
      ),
    };
  }
  const identifier = w.entry.identifier;
  if (match?.id && w.method === 'conditional-create') {
    return {
      ok: true,
      location: {
        resourceType: type,
        identifier,
        reference: `${type}/${match.id}`,
        outcome: 'already-there',
      },
    };
  }
  const reply = match?.id
    ? await session.send({
        method: 'PUT',
        path: `${type}/${match.id}`,
        body: { ...body, id: match.id },
        headers: { prefer: 'return=representation' },
      })
    : await session.send({ method: 'POST', path: type, body, headers: { prefer: 'return=representation' } });
  if (!reply.ok) return reply;
  return located(session, w, reply, match?.id ? 'updated' : 'created');
}
