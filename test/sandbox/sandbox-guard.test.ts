import { request as httpRequest } from 'node:http';
import type { Sandbox } from '../../src/sandbox';
import { startSandbox } from '../../src/sandbox';

/**
 * Who may talk to the sandbox (DESIGN.md §8): loopback Host names only (DNS-rebinding defence)
 * and its bearer token on everything but `GET /fhir/metadata`. Raw node requests, so that the
 * Host header is exactly what a test says (or absent).
 */

const TOKEN = 'sandbox-test-token-0123456789abcdef';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ token: TOKEN });
});
afterAll(() => sandbox.close());

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { resourceType?: string; issue?: Array<{ code: string }>; total?: number };
}

/** GET or POST `path` on the sandbox with exactly these headers (`host: null` sends none). */
function send(path: string, headers: Record<string, string | null>, body?: unknown): Promise<Reply> {
  const { host, ...rest } = headers;
  const set = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== null)) as Record<
    string,
    string
  >;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: sandbox.port,
        path,
        method: body === undefined ? 'GET' : 'POST',
        setHost: host !== null,
        headers: {
          ...(host ? { host } : {}),
          ...set,
          ...(body === undefined ? {} : { 'content-type': 'application/fhir+json' }),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : {} }),
        );
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const bearer = `Bearer ${TOKEN}`;

describe('Host header (DNS rebinding)', () => {
  test.each([
    ['127.0.0.1 with the port', () => `127.0.0.1:${sandbox.port}`],
    ['localhost with the port', () => `localhost:${sandbox.port}`],
    ['LOCALHOST without a port', () => 'LOCALHOST'],
    ['[::1] with a port', () => '[::1]:8090'],
  ])('a request naming %s and carrying the token is answered', async (_name, host) => {
    const reply = await send('/fhir/Patient', { host: host(), authorization: bearer });
    expect(reply.status).toBe(200);
    expect(reply.body.resourceType).toBe('Bundle');
  });

  test.each([
    ['a foreign name with the sandbox port', () => `rebind.example:${sandbox.port}`],
    ['a name that only starts with a loopback address', () => '127.0.0.1.rebind.example'],
    ['a name that only starts with localhost', () => `localhost.rebind.example:${sandbox.port}`],
    ['a private address the sandbox is not bound to', () => '192.168.1.20'],
  ])('%s is refused with 421 security, even with the right token', async (_name, host) => {
    const reply = await send('/fhir/Patient', { host: host(), authorization: bearer });
    expect(reply.status).toBe(421);
    expect(reply.body.resourceType).toBe('OperationOutcome');
    expect(reply.body.issue?.[0]?.code).toBe('security');
  });

  test('a foreign name is refused on /fhir/metadata too', async () => {
    expect((await send('/fhir/metadata', { host: 'rebind.example' })).status).toBe(421);
  });

  test('a request without a Host header is refused with 400 required', async () => {
    const reply = await send('/fhir/Patient', { host: null, authorization: bearer });
    expect(reply.status).toBe(400);
    expect(reply.body.issue?.[0]?.code).toBe('required');
  });
});

describe('bearer token', () => {
  test('without a token a search is refused with 401 login and a Bearer challenge', async () => {
    const reply = await send('/fhir/Patient', {});
    expect(reply.status).toBe(401);
    expect(reply.body.issue?.[0]?.code).toBe('login');
    expect(reply.headers['www-authenticate']).toBe('Bearer realm="kap-bridge-sandbox"');
  });

  test.each([
    ['a wrong token', 'Bearer sandbox-test-token-0123456789abcdeX'],
    ['the token as Basic credentials', `Basic ${TOKEN}`],
    ['an empty bearer', 'Bearer '],
  ])('%s is refused with 401 invalid_token', async (_name, authorization) => {
    const reply = await send('/fhir/Patient', { authorization });
    expect(reply.status).toBe(401);
    expect(reply.body.issue?.[0]?.code).toBe('login');
  });

  test('a create without the token is refused and stores nothing', async () => {
    const patient = { resourceType: 'Patient', identifier: [{ system: 'urn:test', value: 'no-token' }] };
    expect((await send('/fhir/Patient', {}, patient)).status).toBe(401);
    expect((await send('/fhir', {}, { resourceType: 'Bundle', type: 'transaction', entry: [] })).status).toBe(
      401,
    );
    const found = await send('/fhir/Patient?identifier=urn:test|no-token', { authorization: bearer });
    expect(found.body.total).toBe(0);
  });

  test('with the right token a create is accepted', async () => {
    const patient = { resourceType: 'Patient', identifier: [{ system: 'urn:test', value: 'with-token' }] };
    expect((await send('/fhir/Patient', { authorization: bearer }, patient)).status).toBe(201);
  });

  test('GET /fhir/metadata stays open (R4: the CapabilityStatement is public)', async () => {
    const reply = await send('/fhir/metadata', {});
    expect(reply.status).toBe(200);
    expect(reply.body.resourceType).toBe('CapabilityStatement');
  });

  test('a sandbox started without a token generates a long random one and requires it', async () => {
    const other = await startSandbox();
    try {
      expect(other.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(other.token).not.toBe((await startSandboxToken()) ?? '');
      expect((await fetch(`${other.url}/Patient`)).status).toBe(401);
      const ok = await fetch(`${other.url}/Patient`, { headers: { authorization: `Bearer ${other.token}` } });
      expect(ok.status).toBe(200);
    } finally {
      await other.close();
    }
  });

  test('acceptsToken decides which tokens pass, in place of the fixed token', async () => {
    const other = await startSandbox({ acceptsToken: (t) => t === 'issued-by-an-authorisation-server' });
    try {
      const as = (t: string) => fetch(`${other.url}/Patient`, { headers: { authorization: `Bearer ${t}` } });
      expect((await as('issued-by-an-authorisation-server')).status).toBe(200);
      expect((await as(other.token)).status).toBe(401);
    } finally {
      await other.close();
    }
  });
});

/** The token of another freshly started sandbox: two starts never share a token. */
async function startSandboxToken(): Promise<string> {
  const s = await startSandbox();
  await s.close();
  return s.token;
}
