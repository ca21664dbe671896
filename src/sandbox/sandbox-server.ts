import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getStatus, isOk } from '@medplum/core';
import type { FhirRequest, HttpMethod } from '@medplum/fhir-router';
import { FhirRouter } from '@medplum/fhir-router';
import type { Bundle, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { errorOutcome } from '../fhir/outcomes';
import { buildCapabilityStatement } from './capability-statement';
import { BodyError, readJsonBody, sendFhir, versionHeaders } from './http-io';
import { SandboxRepository } from './sandbox-repository';
import {
  allowedHostsFor,
  checkHost,
  checkToken,
  generateSandboxToken,
  tokenCheckFor,
  type Refusal,
  type TokenCheck,
} from './sandbox-guard';

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

const METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];

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
    handle(req, res, context).catch((err: unknown) => {
      if (!res.headersSent) sendFhir(res, 500, errorOutcome('exception', describe(err)));
      else res.destroy();
    });
  });
  await listen(server, options.port ?? 0, host);
  const port = (server.address() as AddressInfo).port;
  state.baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}/fhir`;
  return { url: state.baseUrl, port, token, repository, close: () => closeServer(server) };
}

interface HandlerContext {
  repository: SandboxRepository;
  router: FhirRouter;
  state: { baseUrl: string; started: string };
  maxBody: number;
  allowedHosts: ReadonlySet<string>;
  acceptsToken: TokenCheck;
}

async function handle(req: IncomingMessage, res: ServerResponse, ctx: HandlerContext): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
  const refused = refusalOf(req, url, ctx);
  if (refused) return sendFhir(res, refused.status, refused.outcome, refused.headers);
  if (url.pathname !== '/fhir' && !url.pathname.startsWith('/fhir/')) {
    return sendFhir(
      res,
      404,
      errorOutcome('not-found', `No FHIR endpoint at ${url.pathname}; the base is /fhir.`),
    );
  }
  const method = (req.method ?? 'GET').toUpperCase() as HttpMethod;
  if (!METHODS.includes(method)) {
    return sendFhir(res, 405, errorOutcome('not-supported', `Method ${method} is not supported.`));
  }
  const path = url.pathname.slice('/fhir'.length).replace(/^\/+|(?<!\/)\/+$/g, '');
  if (method === 'GET' && path === 'metadata') {
    return sendFhir(res, 200, buildCapabilityStatement(ctx.state.baseUrl, ctx.state.started));
  }
  let body: unknown;
  try {
    body = await readJsonBody(req, ctx.maxBody);
  } catch (err) {
    if (err instanceof BodyError) return sendFhir(res, err.status, err.outcome);
    throw err;
  }
  const request: FhirRequest = {
    method,
    url: path + url.search,
    pathname: '',
    body,
    params: {},
    query: {},
    headers: req.headers,
    // Without `transactions: true` medplum's router runs a transaction Bundle like a batch.
    config: { transactions: true },
  };
  const [outcome, resource] = await ctx.repository.exclusive(() =>
    ctx.router.handleRequest(request, ctx.repository),
  );
  const status = getStatus(outcome);
  if (!resource || !isOk(outcome)) return sendFhir(res, status, withoutStatusToken(outcome));
  if (resource.resourceType === 'Bundle') annotateBundleResponse(resource, ctx.state.baseUrl);
  sendFhir(res, status, resource, versionHeaders(resource, ctx.state.baseUrl, status));
}

/** Host first (a rebinding page must learn nothing, not even that a token is needed), then the token. */
function refusalOf(req: IncomingMessage, url: URL, ctx: HandlerContext): Refusal | undefined {
  const hostRefused = checkHost(req, ctx.allowedHosts);
  if (hostRefused) return hostRefused;
  const metadata = req.method === 'GET' && /^\/fhir\/metadata\/?$/.test(url.pathname);
  return metadata ? undefined : checkToken(req, ctx.acceptsToken);
}

/**
 * medplum's batch responses carry `location: Type/id`; R4 http.html#transaction-response asks for
 * the version too (`Type/id/_history/vid`) plus `etag` and `lastModified`, which delivery records.
 */
function annotateBundleResponse(bundle: Bundle, baseUrl: string): void {
  if (bundle.type !== 'transaction-response' && bundle.type !== 'batch-response') return;
  for (const entry of bundle.entry ?? []) {
    if (entry.response?.outcome) entry.response.outcome = withoutStatusToken(entry.response.outcome);
    const resource: Resource | undefined = entry.resource;
    const meta = resource?.meta;
    if (!entry.response || !resource?.id || !meta?.versionId) continue;
    entry.fullUrl = `${baseUrl}/${resource.resourceType}/${resource.id}`;
    entry.response.location = `${resource.resourceType}/${resource.id}/_history/${meta.versionId}`;
    entry.response.etag = `W/"${meta.versionId}"`;
    if (meta.lastUpdated) entry.response.lastModified = meta.lastUpdated;
  }
}

/**
 * medplum's outcomes carry a status token as their id (`ok`, `created`, `not-found`,
 * `business-rule`, …) from which `getStatus` derives the HTTP status. Once the status is known the
 * token is an internal detail: an OperationOutcome answered inline has no identity (R4
 * operationoutcome.html), so it goes out without an id.
 */
function withoutStatusToken(outcome: OperationOutcome): OperationOutcome {
  const { id: _token, ...rest } = outcome;
  return rest;
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
