import {
  createAuthProvider,
  generateSigningKey,
  publicJwkFromPrivatePem,
  type PublicJwk,
} from '../../src/adapters/destination/auth';
import type { Destination } from '../../src/adapters/destination/destinations';
import { createFhirGateway } from '../../src/adapters/destination/fhir-gateway';
import { createGuardedHttpClient, type GuardedHttpClient } from '../../src/adapters/destination/http-client';
import { startFaultProxy, startSandbox, type FaultProxy, type Sandbox } from '../../src/sandbox';
import { communicationUnit, destination } from './helpers';
import { startTokenEndpoint, type TokenEndpoint } from './token-endpoint';

const CLIENT_ID = 'kap-bridge-test';
const es = generateSigningKey('ES384');
const rs = generateSigningKey('RS384');
const stranger = generateSigningKey('ES384'); // never registered

let clock = Date.parse('2026-11-20T20:00:00Z');
const now = () => clock;
let tokens: TokenEndpoint;
let http: GuardedHttpClient;
let sandbox: Sandbox;
let proxy: FaultProxy;
let jtiCount = 0;

beforeAll(async () => {
  const jwks: PublicJwk[] = [
    publicJwkFromPrivatePem(es.privateKeyPem, 'ES384', 'es-1'),
    publicJwkFromPrivatePem(rs.privateKeyPem, 'RS384', 'rs-1'),
  ];
  tokens = await startTokenEndpoint(jwks, CLIENT_ID, () => Math.floor(clock / 1000));
  http = createGuardedHttpClient({ totalTimeoutMs: 5000 });
  // The EHR's resource server accepts exactly the access tokens its authorisation server issued.
  sandbox = await startSandbox({ acceptsToken: (t) => tokens.issued.includes(t) });
  proxy = await startFaultProxy({ target: sandbox.url });
});
afterAll(async () => {
  await http.close();
  await tokens.close();
  await proxy.close();
  await sandbox.close();
});
beforeEach(() => {
  tokens.requests = 0;
  proxy.reset();
});

function smartDestination(baseUrl: string, alg: 'ES384' | 'RS384', kid: string): Destination {
  return destination(baseUrl, {
    id: `smart-${kid}`,
    auth: {
      type: 'smart-backend',
      tokenUrl: tokens.url,
      clientId: CLIENT_ID,
      privateKeyFile: 'unused.pem',
      alg,
      kid,
      scope: 'system/Communication.cu system/Patient.rs',
    },
  });
}

function provider(dest: Destination, pem: string, newJti?: () => string) {
  return createAuthProvider(dest, { privateKeyPem: pem }, { http, now, newJti });
}

describe('SMART Backend Services against a token endpoint that verifies the assertion', () => {
  test.each([
    ['ES384', 'es-1', es.privateKeyPem],
    ['RS384', 'rs-1', rs.privateKeyPem],
  ] as const)(
    'a %s-signed assertion is accepted and the access token is sent as a bearer',
    async (alg, kid, pem) => {
      const auth = provider(smartDestination(sandbox.url, alg, kid), pem);
      const result = await auth.authorize();
      expect(result).toEqual({ ok: true, header: `Bearer ${tokens.issued.at(-1)}` });
    },
  );

  test('an assertion signed with a key the EHR never registered is refused, permanently', async () => {
    const auth = provider(smartDestination(sandbox.url, 'ES384', 'es-1'), stranger.privateKeyPem);
    const result = await auth.authorize();
    expect(result).toMatchObject({ ok: false, failure: { kind: 'permanent' } });
    if (result.ok) throw new Error('expected a refusal');
    expect(JSON.stringify(result.failure.outcome)).toContain('invalid_client (bad signature)');
  });

  test('a replayed jti is rejected by the endpoint, and a fresh jti per request is accepted', async () => {
    const dest = smartDestination(sandbox.url, 'ES384', 'es-1');
    const replaying = provider(dest, es.privateKeyPem, () => 'same-jti');
    expect(await replaying.authorize()).toMatchObject({ ok: true });
    replaying.invalidate();
    const again = await replaying.authorize();
    expect(again).toMatchObject({ ok: false, failure: { kind: 'permanent' } });
    expect(JSON.stringify(again)).toContain('jti replayed');

    const fresh = provider(dest, es.privateKeyPem);
    expect(await fresh.authorize()).toMatchObject({ ok: true });
    fresh.invalidate();
    expect(await fresh.authorize()).toMatchObject({ ok: true });
  });

  test('the token is cached until expires_in minus the margin, then fetched again', async () => {
    const auth = provider(
      smartDestination(sandbox.url, 'ES384', 'es-1'),
      es.privateKeyPem,
      () => `jti-${++jtiCount}`,
    );
    const first = await auth.authorize();
    clock += 200_000; // 200 s: still inside 300 s − 60 s
    expect(await auth.authorize()).toEqual(first);
    expect(tokens.requests).toBe(1);
    clock += 50_000; // 250 s: past the margin
    const later = await auth.authorize();
    expect(later).toMatchObject({ ok: true });
    expect(later).not.toEqual(first);
    expect(tokens.requests).toBe(2);
  });

  test('concurrent first requests share one token request', async () => {
    const auth = provider(smartDestination(sandbox.url, 'ES384', 'es-1'), es.privateKeyPem);
    const all = await Promise.all([auth.authorize(), auth.authorize(), auth.authorize()]);
    expect(new Set(all.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(tokens.requests).toBe(1);
  });
});

describe('SMART auth through the FHIR gateway', () => {
  function gatewayFor(dest: Destination) {
    const auth = provider(dest, es.privateKeyPem);
    return createFhirGateway({ http, authFor: () => auth, now });
  }

  test('several pushes use one token request, and every FHIR request carries the token', async () => {
    const dest = smartDestination(proxy.url, 'ES384', 'es-1');
    const gateway = gatewayFor(dest);
    for (let i = 0; i < 3; i++) {
      expect(await gateway.push(dest, communicationUnit(`-smart-cache-${i}`))).toMatchObject({
        kind: 'delivered',
      });
    }
    expect(tokens.requests).toBe(1);
    const token = `Bearer ${tokens.issued.at(-1)}`;
    expect(proxy.requests.length).toBeGreaterThanOrEqual(4);
    expect(proxy.requests.every((r) => r.headers.authorization === token)).toBe(true);
  });

  test('a 401 from the FHIR server makes one token refresh and one resend, then the push succeeds', async () => {
    const dest = smartDestination(proxy.url, 'ES384', 'es-1');
    const gateway = gatewayFor(dest);
    expect(await gateway.push(dest, communicationUnit('-smart-401-warmup'))).toMatchObject({
      kind: 'delivered',
    });
    tokens.requests = 0;
    proxy.reset();
    proxy.enqueue({ kind: 'status', status: 401 }, { match: { method: 'POST' } });
    expect(await gateway.push(dest, communicationUnit('-smart-401'))).toMatchObject({ kind: 'delivered' });
    expect(tokens.requests).toBe(1);
    const posts = proxy.requests.filter((r) => r.method === 'POST');
    expect(posts.map((p) => p.status)).toEqual([401, 200]);
    expect(posts[0]!.headers.authorization).not.toEqual(posts[1]!.headers.authorization);
  });

  test('a second 401 in the same push is permanent (login), with no further refresh', async () => {
    const dest = smartDestination(proxy.url, 'ES384', 'es-1');
    const gateway = gatewayFor(dest);
    proxy.enqueue({ kind: 'status', status: 401 }, { match: { method: 'POST' }, times: 2 });
    const result = await gateway.push(dest, communicationUnit('-smart-401-twice'));
    expect(result).toMatchObject({ kind: 'permanent' });
    if (result.kind !== 'permanent') throw new Error('expected permanent');
    expect(result.outcome.issue?.[0]?.code).toBe('login');
    expect(tokens.requests).toBe(2);
  });
});
