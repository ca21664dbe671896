import fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createGuardedHttpClient, type GuardedHttpClient } from '../../src/adapters/destination/http-client';
import { classifyAddress } from '../../src/adapters/destination/url-guard';
import { FIXTURES } from './helpers';

const cases = JSON.parse(
  fs.readFileSync(path.join(FIXTURES, 'delivery/address-cases.json'), 'utf8'),
) as Array<{
  address: string;
  refused: string | null;
}>;

describe('address classification', () => {
  test.each(cases.map((c) => [c.address, c.refused ?? 'public: allowed'] as const))(
    '%s → %s',
    (address, expected) => {
      const reason = classifyAddress(address);
      if (expected === 'public: allowed') expect(reason).toBeUndefined();
      else expect(reason).toContain(expected);
    },
  );
});

describe('guarded HTTP client', () => {
  let server: Server;
  let port: number;
  let hits = 0;
  let http: GuardedHttpClient;
  const open = { allowInsecure: true, allowPrivateNetwork: true };

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      if (req.url === '/redirect') {
        res.writeHead(302, { location: '/target' }).end();
      } else if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 2000);
      } else {
        res.writeHead(200, { 'content-type': 'application/fhir+json' }).end('{"resourceType":"Basic"}');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    http = createGuardedHttpClient({ totalTimeoutMs: 500 });
  });
  afterAll(async () => {
    await http.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    hits = 0;
  });

  test('a host name that resolves to 127.0.0.1 is refused after DNS, without allowPrivateNetwork, and nothing is sent', async () => {
    const res = await http.send(
      { allowInsecure: true, allowPrivateNetwork: false },
      { method: 'GET', url: `http://localhost:${port}/x` },
    );
    expect(res).toMatchObject({ kind: 'refused' });
    if (res.kind !== 'refused') throw new Error('expected refused');
    expect(res.message).toMatch(/localhost resolves to a loopback address/);
    expect(hits).toBe(0);
  });

  test('the same host name is reached with allowPrivateNetwork', async () => {
    const res = await http.send(open, { method: 'GET', url: `http://localhost:${port}/x` });
    expect(res).toMatchObject({ kind: 'response', status: 200, body: '{"resourceType":"Basic"}' });
  });

  test('a loopback IP literal is refused before connecting, without allowPrivateNetwork', async () => {
    const res = await http.send(
      { allowInsecure: true, allowPrivateNetwork: false },
      { method: 'GET', url: `http://127.0.0.1:${port}/x` },
    );
    expect(res).toMatchObject({ kind: 'refused' });
    expect(hits).toBe(0);
  });

  test('http is refused without allowInsecure, and nothing is sent', async () => {
    const res = await http.send(
      { allowInsecure: false, allowPrivateNetwork: true },
      { method: 'GET', url: `http://127.0.0.1:${port}/x` },
    );
    expect(res).toMatchObject({ kind: 'refused' });
    if (res.kind !== 'refused') throw new Error('expected refused');
    expect(res.message).toMatch(/is not https/);
    expect(hits).toBe(0);
  });

  test('a redirect is returned as it is, never followed', async () => {
    const res = await http.send(open, { method: 'GET', url: `http://127.0.0.1:${port}/redirect` });
    expect(res).toMatchObject({ kind: 'response', status: 302, headers: { location: '/target' } });
    expect(hits).toBe(1);
  });

  test('a response slower than the total timeout is a timeout', async () => {
    const started = Date.now();
    const res = await http.send(open, { method: 'GET', url: `http://127.0.0.1:${port}/slow` });
    expect(res).toMatchObject({ kind: 'timeout' });
    expect(Date.now() - started).toBeLessThan(1900);
  });

  test('a closed port is a network error (retryable), not a refusal', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const res = await http.send(open, { method: 'GET', url: `http://127.0.0.1:${closedPort}/` });
    expect(res).toMatchObject({ kind: 'network-error' });
  });
});
