import fs from 'node:fs';
import path from 'node:path';
import { parseDestinations, type Destination } from '../../src/adapters/destination/destinations';
import type { DeliveryUnit } from '../../src/outbox/delivery-unit';
import type { Sandbox } from '../../src/sandbox';

/** A FHIR server to read directly: its base URL and the bearer token it requires. */
export type ReadableServer = Pick<Sandbox, 'url' | 'token'>;

/** Searches `server` by identifier with its token. */
function searchByIdentifier(server: ReadableServer, type: string, id: { system: string; value: string }) {
  return fetch(`${server.url}/${type}?identifier=${encodeURIComponent(`${id.system}|${id.value}`)}`, {
    headers: { authorization: `Bearer ${server.token}` },
  });
}

export const FIXTURES = path.join(__dirname, '../../fixtures');

/** A destination parsed from a destinations-file entry (local development flags on). */
export function destination(baseUrl: string, extra: Record<string, unknown> = {}): Destination {
  const parsed = parseDestinations([
    {
      id: 'test-ehr',
      baseUrl,
      auth: { type: 'none' },
      allowInsecure: true,
      allowPrivateNetwork: true,
      ...extra,
    },
  ]);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.outcome));
  const [d] = parsed.destinations;
  if (!d) throw new Error('no destination');
  return d;
}

/** The Communication unit of fixtures/delivery (a fresh copy; `suffix` makes identifiers unique). */
export function communicationUnit(suffix = ''): DeliveryUnit {
  const raw = JSON.parse(
    fs.readFileSync(path.join(FIXTURES, 'delivery/unit-communication.json'), 'utf8'),
  ) as Array<{
    identifier: { system: string; value: string };
    resource: { identifier: Array<{ value: string }> };
  }>;
  for (const item of raw) {
    item.identifier.value += suffix;
    for (const id of item.resource.identifier) id.value += suffix;
  }
  return raw as unknown as DeliveryUnit;
}

/** How many resources of `type` the FHIR server holds with this identifier. */
export async function countByIdentifier(
  server: ReadableServer,
  type: string,
  id: { system: string; value: string },
) {
  const res = await searchByIdentifier(server, type, id);
  const bundle = (await res.json()) as { entry?: Array<{ resource: { resourceType: string } }> };
  return (bundle.entry ?? []).filter((e) => e.resource.resourceType === type).length;
}

/** The resource the server holds for an identifier (the only one). */
export async function readByIdentifier(
  server: ReadableServer,
  type: string,
  id: { system: string; value: string },
) {
  const res = await searchByIdentifier(server, type, id);
  const bundle = (await res.json()) as { entry?: Array<{ resource: Record<string, unknown> }> };
  return bundle.entry?.[0]?.resource;
}
