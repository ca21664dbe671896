import type { Server } from 'node:http';
import type { Express } from 'express';

/**
 * Starts listening. Binds `127.0.0.1` unless told otherwise (DESIGN.md §8: exposure is a
 * decision — `HOST` — not a default). Timeouts bound slow clients (slowloris) so they cannot hold
 * connections open indefinitely.
 */
export interface ListenOptions {
  port: number;
  /** Defaults to `127.0.0.1`. */
  host?: string;
  /** Whole-request deadline in ms (default 30 s). */
  requestTimeoutMs?: number;
}

/** Listens on `host:port`; resolves with the server once it accepts connections. */
export function startHttpServer(app: Express, opts: ListenOptions): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(opts.port, opts.host ?? '127.0.0.1', (err?: Error) => {
      if (err) reject(err);
      else resolve(server);
    });
    server.requestTimeout = opts.requestTimeoutMs ?? 30_000;
    server.headersTimeout = Math.min(server.requestTimeout, 15_000);
    server.keepAliveTimeout = 5_000;
    server.once('error', reject);
  });
}

/** Stops accepting connections and resolves when open ones are done. */
export function stopHttpServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeIdleConnections();
  });
}
