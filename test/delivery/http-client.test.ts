import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGuardedHttpClient } from '../../src/adapters/destination/http-client';

/** The guarded client reads a response whole, and never more than its bound. */

const policy = { allowInsecure: true, allowPrivateNetwork: true };
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const size = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('size'));
    const body = 'x'.repeat(size);
    if (req.url?.startsWith('/chunked')) {
      res.writeHead(200, { 'content-type': 'text/plain' }); // no length: sent chunked
      res.write(body.slice(0, size / 2));
      res.end(body.slice(size / 2));
    } else {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(size) });
      res.end(body);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

test.each(['/sized', '/chunked'])(
  '%s: a body within the bound is read whole; a larger one is a network error',
  async (path) => {
    const client = createGuardedHttpClient({ maxResponseBytes: 1000 });
    try {
      const fits = await client.send(policy, { method: 'GET', url: `${base}${path}?size=1000` });
      expect(fits).toMatchObject({ kind: 'response', status: 200 });
      expect(fits.kind === 'response' && fits.body.length).toBe(1000);
      const large = await client.send(policy, { method: 'GET', url: `${base}${path}?size=1002` });
      expect(large).toMatchObject({ kind: 'network-error' });
      expect(large.kind !== 'response' && large.message).toMatch(/larger than 1000 bytes/);
      // The connection pool is still usable afterwards.
      expect(await client.send(policy, { method: 'GET', url: `${base}${path}?size=10` })).toMatchObject({
        kind: 'response',
        status: 200,
      });
    } finally {
      await client.close();
    }
  },
);
