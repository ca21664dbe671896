import { randomUUID } from 'node:crypto';
import type { AuthProvider } from './auth/auth-provider';
import { planTransport, readCapabilities, type DestinationCapabilities } from './capabilities';
import type { Destination, DestinationGateway } from '../../app/ports/destination-port';
import { openSession, type DestinationSession } from './destination-session';
import {
  assertUnit,
  dependencyOrder,
  effectiveMethod,
  localKeys,
  type DeliveredLocation,
  type DeliveryUnit,
  type PushResult,
} from '../../outbox/delivery-unit';
import { permanent, type DeliveryFailure } from './failures';
import type { GuardedHttpClient } from './http-client';
import { pushConditional } from './conditional-transport';
import { pushTransaction, type UnitEntryWrite } from './transaction-transport';

/**
 * The FHIR gateway: pushes one delivery unit to one registered destination, effectively-once
 * (DESIGN.md §6). It reads the destination's CapabilityStatement (cached), chooses the transport,
 * resolves `must-exist` references by identifier search, and returns a classified result; it
 * never throws for what the network or the destination does.
 */

export interface FhirGatewayDeps {
  http: GuardedHttpClient;
  /** The auth provider of a destination (built once per destination by the composition root). */
  authFor: (dest: Destination) => AuthProvider;
  /** Milliseconds since the epoch (injected clock). */
  now: () => number;
  /** How long a CapabilityStatement is trusted. Default 1 h. */
  capabilityTtlMs?: number;
  /** `urn:uuid` source for transaction fullUrls. */
  newUuid?: () => string;
}

type Failed = { ok: false; failure: DeliveryFailure };
/** A failed read carries the status of the response that decided it, for every push that waited. */
type CapabilitiesReply =
  { ok: true; caps: DestinationCapabilities } | (Failed & { httpStatus: number | undefined });

/** `GET metadata` through `session`, read as the capabilities delivery needs. */
async function readCapabilitiesOnce(session: DestinationSession): Promise<CapabilitiesReply> {
  const reply = await session.send({ method: 'GET', path: 'metadata' });
  if (!reply.ok) return { ...reply, httpStatus: session.lastStatus() };
  const caps = readCapabilities(reply.body);
  if ('resourceType' in caps)
    return { ok: false, failure: { kind: 'permanent', outcome: caps }, httpStatus: session.lastStatus() };
  return { ok: true, caps };
}

/** Builds the gateway. */
export function createFhirGateway(deps: FhirGatewayDeps): DestinationGateway {
  const ttl = deps.capabilityTtlMs ?? 60 * 60 * 1000;
  const cache = new Map<string, { caps: DestinationCapabilities; at: number }>();
  // One read of `metadata` per destination however many pushes ask at once (issue 12: the relay's
  // concurrent pushes each missed the empty cache and each fetched it). Only a success is kept:
  // a failed read is answered to the pushes that waited for it, and the next push tries again.
  const reading = new Map<string, Promise<CapabilitiesReply>>();

  function capabilitiesOf(dest: Destination, session: DestinationSession): Promise<CapabilitiesReply> {
    const key = `${dest.id} ${dest.baseUrl}`;
    const hit = cache.get(key);
    if (hit && deps.now() - hit.at < ttl) return Promise.resolve({ ok: true, caps: hit.caps });
    let read = reading.get(key);
    if (!read) {
      read = (async () => {
        try {
          const reply = await readCapabilitiesOnce(session);
          if (reply.ok) cache.set(key, { caps: reply.caps, at: deps.now() });
          return reply;
        } finally {
          reading.delete(key);
        }
      })();
      reading.set(key, read);
    }
    return read;
  }

  async function push(dest: Destination, unit: DeliveryUnit): Promise<PushResult> {
    assertUnit(unit);
    const session = openSession(dest, deps.authFor(dest), deps.http, deps.now);
    const stamp = (r: PushResult) => withStatus(r, session.lastStatus());
    const capsReply = await capabilitiesOf(dest, session);
    if (!capsReply.ok) return withStatus(capsReply.failure, capsReply.httpStatus);
    const order = dependencyOrder(unit);
    const methods = unit.map((item, i) => effectiveMethod(item, i, dest));
    const writes: UnitEntryWrite[] = [];
    for (const i of order) {
      const method = methods[i];
      const entry = unit[i];
      if (entry && method && method !== 'must-exist') writes.push({ entry, method });
    }
    const planned = planTransport(
      dest.id,
      dest.transport,
      capsReply.caps,
      writes.map((w) => ({ resourceType: w.entry.resource.resourceType, method: w.method })),
    );
    // kap-bridge's own refusal (no transport fits): no destination response decided it.
    if (!planned.ok) return { kind: 'permanent', outcome: planned.outcome };
    const found = await resolveMustExist(session, unit, methods);
    if (!found.ok) return stamp(found.failure);
    const pushed =
      planned.plan.transport === 'transaction'
        ? await pushTransaction(session, writes, found.resolved, deps.newUuid ?? randomUUID)
        : await pushConditional(session, writes, found.resolved, planned.plan.emulate);
    if (!pushed.ok) return stamp(pushed.failure);
    const locations = [...found.locations, ...pushed.locations];
    const main = pushed.locations.find((l) => l.identifier === unit[0]?.identifier);
    return stamp({ kind: 'delivered', alreadyThere: main?.outcome === 'already-there', locations });
  }

  return { push };
}

/** `result` with the status of the destination response that decided it, when there was one. */
function withStatus(result: PushResult, httpStatus: number | undefined): PushResult {
  return httpStatus === undefined ? result : { ...result, httpStatus };
}

/**
 * `must-exist` items (DESIGN.md §2, for EHRs that refuse outside creates): found by identifier
 * search and referenced, never created or overwritten. Not found, or ambiguous → permanent.
 */
async function resolveMustExist(
  session: DestinationSession,
  unit: DeliveryUnit,
  methods: readonly string[],
): Promise<{ ok: true; resolved: Map<string, string>; locations: DeliveredLocation[] } | Failed> {
  const resolved = new Map<string, string>();
  const locations: DeliveredLocation[] = [];
  for (const [i, item] of unit.entries()) {
    if (methods[i] !== 'must-exist') continue;
    const type = item.resource.resourceType;
    const { system, value } = item.identifier;
    const found = await session.searchByIdentifier(type, item.identifier);
    if (!found.ok) return found;
    if (found.matches.length !== 1) {
      const none = found.matches.length === 0;
      const text = none
        ? `the destination has no ${type} with identifier ${system}|${value}, and it must exist there (referencedResources "must-exist": kap-bridge never creates it)`
        : `the destination holds several ${type} with identifier ${system}|${value}; refusing to guess which one to reference`;
      return {
        ok: false,
        failure: permanent(none ? 'not-found' : 'multiple-matches', text, `${type}.identifier`),
      };
    }
    const reference = `${type}/${found.matches[0]?.id ?? ''}`;
    localKeys(item).forEach((k) => resolved.set(k, reference));
    locations.push({ resourceType: type, identifier: item.identifier, reference, outcome: 'found' });
  }
  return { ok: true, resolved, locations };
}
