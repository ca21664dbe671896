import { createBearerAuth } from '../../src/adapters/destination/auth';
import { createFhirGateway } from '../../src/adapters/destination/fhir-gateway';
import type { DestinationGateway } from '../../src/app/ports/destination-port';
import { createGuardedHttpClient, type GuardedHttpClient } from '../../src/adapters/destination/http-client';
import type { DeliveryUnit } from '../../src/outbox/delivery-unit';
import { startFaultProxy, startSandbox } from '../../src/sandbox';
import type { FaultProxy } from '../../src/sandbox';
import type { Sandbox } from '../../src/sandbox';
import { communicationUnit, countByIdentifier, destination, readByIdentifier } from './helpers';

let sandbox: Sandbox;
let proxy: FaultProxy;
let http: GuardedHttpClient;
let gateway: DestinationGateway;
let counter = 0;
const now = () => Date.parse('2026-11-20T20:00:00Z');
const unique = () => `-${++counter}`;

beforeAll(async () => {
  sandbox = await startSandbox();
  proxy = await startFaultProxy({ target: sandbox.url });
  http = createGuardedHttpClient({ totalTimeoutMs: 5000 });
  gateway = createFhirGateway({ http, authFor: () => createBearerAuth(sandbox.token), now });
});
afterAll(async () => {
  await http.close();
  await proxy.close();
  await sandbox.close();
});
beforeEach(() => proxy.reset());

const main = (unit: DeliveryUnit) => unit[0]!;

describe.each(['transaction', 'conditional'] as const)('transport %s against the sandbox', (transport) => {
  test('pushed twice, the destination holds exactly one copy of each resource, and the second push is alreadyThere', async () => {
    const dest = destination(sandbox.url, { transport });
    const unit = communicationUnit(unique());
    const first = await gateway.push(dest, unit);
    expect(first).toMatchObject({ kind: 'delivered', alreadyThere: false });
    const second = await gateway.push(dest, unit);
    expect(second).toMatchObject({ kind: 'delivered', alreadyThere: true });
    for (const item of unit) {
      expect(await countByIdentifier(sandbox, item.resource.resourceType, item.identifier)).toBe(1);
    }
    if (first.kind !== 'delivered' || second.kind !== 'delivered') throw new Error('not delivered');
    expect(second.locations.map((l) => l.reference).sort()).toEqual(
      first.locations.map((l) => l.reference).sort(),
    );
    // transaction: the Bundle's 200; conditional: the main resource's create (201), then its match (200)
    expect(first.httpStatus).toBe(transport === 'transaction' ? 200 : 201);
    expect(second.httpStatus).toBe(200);
  });

  test('references are rewritten to the ids the destination assigned', async () => {
    const unit = communicationUnit(unique());
    const result = await gateway.push(destination(sandbox.url, { transport }), unit);
    if (result.kind !== 'delivered') throw new Error(JSON.stringify(result));
    const ref = (type: string) => result.locations.find((l) => l.resourceType === type)?.reference;
    const comm = await readByIdentifier(sandbox, 'Communication', main(unit).identifier);
    expect(comm?.subject).toEqual({ reference: ref('Patient') });
    expect(comm?.recipient).toEqual([{ reference: ref('Practitioner') }]);
    const patient = await readByIdentifier(sandbox, 'Patient', unit[1]!.identifier);
    expect(patient?.managingOrganization).toEqual({ reference: ref('Organization') });
  });

  test('a conditional update changes the one copy instead of adding a second', async () => {
    const dest = destination(sandbox.url, { transport });
    const unit = communicationUnit(unique());
    const asUpdate = (status: string): DeliveryUnit => [
      { ...main(unit), method: 'conditional-update', resource: { ...main(unit).resource, status } as never },
      ...unit.slice(1),
    ];
    expect(await gateway.push(dest, asUpdate('completed'))).toMatchObject({
      kind: 'delivered',
      alreadyThere: false,
    });
    const second = await gateway.push(dest, asUpdate('entered-in-error'));
    expect(second).toMatchObject({ kind: 'delivered', alreadyThere: false });
    expect(await countByIdentifier(sandbox, 'Communication', main(unit).identifier)).toBe(1);
    expect((await readByIdentifier(sandbox, 'Communication', main(unit).identifier))?.status).toBe(
      'entered-in-error',
    );
  });

  test('a response lost after the destination committed, then a second push: still one copy, and alreadyThere', async () => {
    const dest = destination(proxy.url, { transport });
    const unit = communicationUnit(unique());
    // the Communication is the last write in either transport: drop the answer to that POST
    proxy.enqueue(
      { kind: 'drop-response' },
      {
        match: {
          method: 'POST',
          path: transport === 'transaction' ? /^\/fhir\/?$/ : /^\/fhir\/Communication/,
        },
      },
    );
    const first = await gateway.push(dest, unit);
    expect(first).toMatchObject({ kind: 'retry' });
    expect(await countByIdentifier(sandbox, 'Communication', main(unit).identifier)).toBe(1);
    const second = await gateway.push(dest, unit);
    expect(second).toMatchObject({ kind: 'delivered', alreadyThere: true });
    expect(await countByIdentifier(sandbox, 'Communication', main(unit).identifier)).toBe(1);
  });
});

describe('referencedResources "must-exist"', () => {
  test('when the referenced resources exist, they are found and referenced, never created', async () => {
    const unit = communicationUnit(unique());
    const created = await gateway.push(destination(sandbox.url), unit.slice(1));
    if (created.kind !== 'delivered') throw new Error(JSON.stringify(created));
    const result = await gateway.push(destination(sandbox.url, { referencedResources: 'must-exist' }), unit);
    if (result.kind !== 'delivered') throw new Error(JSON.stringify(result));
    expect(
      result.locations
        .filter((l) => l.outcome === 'found')
        .map((l) => l.resourceType)
        .sort(),
    ).toEqual(['Organization', 'Patient', 'Practitioner']);
    const patient = created.locations.find((l) => l.resourceType === 'Patient')?.reference;
    expect((await readByIdentifier(sandbox, 'Communication', main(unit).identifier))?.subject).toEqual({
      reference: patient,
    });
    expect(await countByIdentifier(sandbox, 'Patient', unit[1]!.identifier)).toBe(1);
  });

  test('when the patient is missing, the push fails permanently with not-found and nothing is created', async () => {
    const unit = communicationUnit(unique());
    const result = await gateway.push(destination(sandbox.url, { referencedResources: 'must-exist' }), unit);
    expect(result).toMatchObject({ kind: 'permanent', outcome: { issue: [{ code: 'not-found' }] } });
    if (result.kind !== 'permanent') throw new Error('expected permanent');
    expect(result.outcome.issue?.[0]?.details?.text).toMatch(/no Patient with identifier/);
    expect(await countByIdentifier(sandbox, 'Communication', main(unit).identifier)).toBe(0);
  });
});

describe('faults between kap-bridge and the destination', () => {
  test('a 503 is retried', async () => {
    proxy.enqueue({ kind: 'status', status: 503 }, { match: { method: 'POST' } });
    const result = await gateway.push(destination(proxy.url), communicationUnit(unique()));
    expect(result).toMatchObject({ kind: 'retry', reason: 'HTTP 503', httpStatus: 503 });
    if (result.kind !== 'retry') throw new Error('expected retry');
    expect(result.outcome.issue?.[0]?.code).toBe('transient');
  });

  test('a 429 with Retry-After in seconds gives retryAfterMs', async () => {
    proxy.enqueue({ kind: 'status', status: 429, retryAfter: 120 }, { match: { method: 'POST' } });
    const result = await gateway.push(destination(proxy.url), communicationUnit(unique()));
    expect(result).toMatchObject({ kind: 'retry', retryAfterMs: 120_000, httpStatus: 429 });
    if (result.kind !== 'retry') throw new Error('expected retry');
    expect(result.outcome.issue?.[0]?.code).toBe('throttled');
  });

  test('a 429 with Retry-After as an HTTP-date gives the time left until then', async () => {
    const at = new Date(now() + 90_000).toUTCString();
    proxy.enqueue({ kind: 'status', status: 429, retryAfter: at }, { match: { method: 'POST' } });
    const result = await gateway.push(destination(proxy.url), communicationUnit(unique()));
    expect(result).toMatchObject({ kind: 'retry', retryAfterMs: 90_000 });
  });

  test("a 400 is permanent, and the destination's own OperationOutcome is kept", async () => {
    const body = {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'invalid', diagnostics: 'bad' }],
    };
    proxy.enqueue({ kind: 'status', status: 400, body: body as never }, { match: { method: 'POST' } });
    const result = await gateway.push(destination(proxy.url), communicationUnit(unique()));
    expect(result).toMatchObject({
      kind: 'permanent',
      httpStatus: 400,
      outcome: { issue: [{ code: 'processing' }, { code: 'invalid' }] },
    });
  });

  test('a connection reset before the request reached the server is retried and nothing was stored', async () => {
    const unit = communicationUnit(unique());
    proxy.enqueue({ kind: 'reset' }, { match: { method: 'POST' } });
    const result = await gateway.push(destination(proxy.url), unit);
    expect(result).toMatchObject({ kind: 'retry', reason: 'network-error' });
    expect(result.httpStatus).toBeUndefined(); // no response: no status to record
    expect(await countByIdentifier(sandbox, 'Communication', main(unit).identifier)).toBe(0);
  });

  test('a redirect is not followed and is permanent', async () => {
    proxy.enqueue(
      { kind: 'redirect', location: `${sandbox.url}/`, status: 307 },
      { match: { method: 'POST' } },
    );
    const unit = communicationUnit(unique());
    const result = await gateway.push(destination(proxy.url), unit);
    expect(result).toMatchObject({ kind: 'permanent', httpStatus: 307 });
    if (result.kind !== 'permanent') throw new Error('expected permanent');
    expect(result.outcome.issue?.[0]?.details?.text).toMatch(/307.*redirects are never followed/);
    expect(proxy.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(await countByIdentifier(sandbox, 'Communication', main(unit).identifier)).toBe(0);
  });
});

describe('CapabilityStatement', () => {
  test('it is fetched once and cached across pushes', async () => {
    const dest = destination(proxy.url, { id: 'cache-check' });
    await gateway.push(dest, communicationUnit(unique()));
    await gateway.push(dest, communicationUnit(unique()));
    expect(proxy.requests.filter((r) => r.path.endsWith('/metadata'))).toHaveLength(1);
  });

  test('pushes that start together before it is cached share one read of it', async () => {
    const dest = destination(proxy.url, { id: 'race-check' });
    const results = await Promise.all(
      Array.from({ length: 4 }, () => gateway.push(dest, communicationUnit(unique()))),
    );
    expect(results.map((r) => r.kind)).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
    expect(proxy.requests.filter((r) => r.path.endsWith('/metadata'))).toHaveLength(1);
  });

  test('a failed read is answered to every push that waited for it, with its status, and is not cached', async () => {
    const dest = destination(proxy.url, { id: 'failed-read-check' });
    proxy.enqueue({ kind: 'status', status: 503 }, { match: { method: 'GET' } });
    const results = await Promise.all([
      gateway.push(dest, communicationUnit(unique())),
      gateway.push(dest, communicationUnit(unique())),
    ]);
    expect(results).toMatchObject([
      { kind: 'retry', httpStatus: 503 },
      { kind: 'retry', httpStatus: 503 },
    ]);
    expect(await gateway.push(dest, communicationUnit(unique()))).toMatchObject({ kind: 'delivered' });
    expect(proxy.requests.filter((r) => r.path.endsWith('/metadata'))).toHaveLength(2);
  });

  test('with transport auto and a server that offers transactions, one transaction Bundle is sent', async () => {
    const dest = destination(proxy.url, { id: 'auto-check' });
    expect(await gateway.push(dest, communicationUnit(unique()))).toMatchObject({
      kind: 'delivered',
      httpStatus: 200,
    });
    const posts = proxy.requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(1);
    expect(JSON.parse(posts[0]!.body)).toMatchObject({ resourceType: 'Bundle', type: 'transaction' });
  });
});
