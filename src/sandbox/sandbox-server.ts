import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FhirRouter } from '@medplum/fhir-router';
import { errorOutcome } from '../fhir/outcomes';
import { sendFhir } from './http-io';
import { handleSandboxRequest, type HandlerContext } from './sandbox-handler';
import { SandboxRepository } from './sandbox-repository';
import { allowedHostsFor, generateSandboxToken, tokenCheckFor, type TokenCheck } from './sandbox-guard';

/** Options of {@link startSandbox}. */
export interface SandboxOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind; loopback by default (DESIGN.md §8). */
  host?: string;
  /** Source of `meta.lastUpdated`; the system clock by default. */
  clock?: () => Date;
  /** Largest accepted request body in bytes (default 10 MiB). */
  maxBodyBytes?: number;
  /**
   * The bearer token every request but `GET /fhir/metadata` must carry (DESIGN.md §8); a random
   * one is generated when absent. Read it back from {@link Sandbox.token}.
   */
  token?: string;
  /**
   * Decides which presented tokens pass instead of `token` — for a test that puts an
   * authorisation server in front (SMART Backend Services issues its own access tokens).
   */
  acceptsToken?: TokenCheck;
}

/** A running sandbox FHIR server. */
export interface Sandbox {
  /** FHIR base URL including `/fhir`, e.g. `http://127.0.0.1:8090/fhir`. */
  url: string;
  port: number;
  /** The bearer token the sandbox requires (`Authorization: Bearer <token>`). */
  token: string;
  /** The live repository, to preload or inspect in tests. */
  repository: SandboxRepository;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/**
 * Starts the sandbox FHIR R4 server: medplum's `FhirRouter` over a {@link SandboxRepository},
 * served at `/fhir` over node `http`, speaking `application/fhir+json`.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  // The sandbox is an outer-layer dev tool; a caller that needs fixed time injects a clock.
  const clock = options.clock ?? (() => new Date());
  const repository = new SandboxRepository({ clock });
  const router = new FhirRouter();
  const state = { baseUrl: '', started: clock().toISOString() };
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? generateSandboxToken();
  const context: HandlerContext = {
    repository,
    router,
    state,
    maxBody: options.maxBodyBytes ?? 10 * 1024 * 1024,
    allowedHosts: allowedHostsFor(host),
    acceptsToken: options.acceptsToken ?? tokenCheckFor(token),
  };
  // Node's own 400 for a missing Host has no body; the guard answers it with an OperationOutcome.
  const server = createServer({ requireHostHeader: false }, (req, res) => {
    handleSandboxRequest(req, res, context).catch((err: unknown) => {
      if (!res.headersSent) sendFhir(res, 500, errorOutcome('exception', describe(err)));
      else res.destroy();
    });
  });
  await listen(server, options.port ?? 0, host);
  const port = (server.address() as AddressInfo).port;
  state.baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}/fhir`;
  return { url: state.baseUrl, port, token, repository, close: () => closeServer(server) };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
