import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/entry/http/app';
import { startHttpServer, stopHttpServer } from '../../src/entry/http/server';
import { makeWorld } from './support/ports';

test('the server binds 127.0.0.1 when no host is given, and answers over real HTTP', async () => {
  const server = await startHttpServer(createApp(makeWorld().deps), { port: 0 });
  try {
    const address = server.address() as AddressInfo;
    expect(address.address).toBe('127.0.0.1');
    const res = await fetch(`http://127.0.0.1:${address.port}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  } finally {
    await stopHttpServer(server);
  }
});

test('a port already in use rejects instead of hanging', async () => {
  const app = createApp(makeWorld().deps);
  const first = await startHttpServer(app, { port: 0 });
  try {
    const { port } = first.address() as AddressInfo;
    await expect(startHttpServer(app, { port })).rejects.toThrow(/EADDRINUSE/);
  } finally {
    await stopHttpServer(first);
  }
});
