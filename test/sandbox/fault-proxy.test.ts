import type { Fault, FaultProxy, Sandbox } from '../../src/sandbox';
import { startFaultProxy, startSandbox } from '../../src/sandbox';
import { IDENTIFIER_SYSTEM } from '../../src/fhir/canonical';
import faultCases from '../../fixtures/sandbox/fault-cases.json';
import { fhirWithToken, patient } from './fhir-http';

const MRN = IDENTIFIER_SYSTEM.mrn;

let sandbox: Sandbox;
/** Requests with the sandbox's token (set once it has started). */
let fhir: ReturnType<typeof fhirWithToken>;
let proxy: FaultProxy;
beforeAll(async () => {
  sandbox = await startSandbox();
  fhir = fhirWithToken(sandbox.token);
  proxy = await startFaultProxy({ target: sandbox.url });
});
afterAll(async () => {
  await proxy.close();
  await sandbox.close();
});
beforeEach(() => proxy.reset());

/** A conditional create of a Patient through the proxy, as delivery sends it. */
function conditionalCreate(mrn: string) {
  return fhir(`${proxy.url}/Patient`, {
    body: patient(MRN, mrn),
    headers: { 'if-none-exist': `identifier=${MRN}|${mrn}` },
  });
}

async function storedCount(mrn: string): Promise<number> {
  const found = await fhir(`${sandbox.url}/Patient?identifier=${encodeURIComponent(`${MRN}|${mrn}`)}`);
  return found.body.total;
}

describe('fault proxy in front of the sandbox', () => {
  test.each(faultCases)(
    'with $name, the client sees it and the server state matches',
    async ({ name, fault, expect: want }) => {
      const mrn = `fault-${name}`;
      proxy.enqueue(fault as Fault);
      const started = Date.now();
      const reply = await conditionalCreate(mrn).catch((err: Error) => ({ networkError: err.message }));
      const elapsed = Date.now() - started;
      if (want.networkError) {
        expect(reply).toEqual({ networkError: 'fetch failed' });
      } else {
        if ('networkError' in reply) throw new Error(reply.networkError);
        expect(reply.status).toBe(want.status);
        if (want.retryAfter) expect(reply.headers.get('retry-after')).toBe(want.retryAfter);
        if (want.location) expect(reply.headers.get('location')).toBe(want.location);
        if (want.issueCode) expect(reply.body.issue[0].code).toBe(want.issueCode);
        if (want.minMs) expect(elapsed).toBeGreaterThanOrEqual(want.minMs - 5);
      }
      expect(await storedCount(mrn)).toBe(want.stored ? 1 : 0);
      expect(proxy.requests).toHaveLength(1);
      expect(proxy.requests[0]).toMatchObject({ method: 'POST', path: '/fhir/Patient', outcome: fault.kind });
      expect(JSON.parse(proxy.requests[0]!.body).identifier[0].value).toBe(mrn);
    },
  );

  test('a fault queued for 2 requests answers twice, then requests pass through to the server', async () => {
    proxy.enqueue({ kind: 'status', status: 503 }, { times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await conditionalCreate('times-1')).status);
    expect(statuses).toEqual([503, 503, 201]);
    expect(proxy.requests.map((r) => r.outcome)).toEqual(['status', 'status', 'forwarded']);
  });

  test('a retry after a lost response finds the committed copy instead of creating a second one', async () => {
    proxy.enqueue({ kind: 'drop-response' });
    await expect(conditionalCreate('lost-1')).rejects.toThrow();
    const retry = await conditionalCreate('lost-1');
    expect(retry.status).toBe(200);
    expect(await storedCount('lost-1')).toBe(1);
  });

  test('a rule matching POST leaves GET requests alone', async () => {
    proxy.enqueue({ kind: 'status', status: 400 }, { match: { method: 'POST' }, times: Infinity });
    expect((await fhir(`${proxy.url}/metadata`)).status).toBe(200);
    expect((await conditionalCreate('match-1')).status).toBe(400);
    expect((await conditionalCreate('match-1')).status).toBe(400);
    expect(proxy.requests.map((r) => `${r.method} ${r.outcome}`)).toEqual([
      'GET forwarded',
      'POST status',
      'POST status',
    ]);
  });
});
