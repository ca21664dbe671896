import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SearchRequest } from '@medplum/core';
import { getStatus, isOk, normalizeOperationOutcome } from '@medplum/core';
import type { FhirRequest, HttpMethod } from '@medplum/fhir-router';
import { FhirRouter } from '@medplum/fhir-router';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { acceptsFhirJson, readPrefer, type FhirPreferences } from '../fhir/http-preferences';
import { errorOutcome } from '../fhir/outcomes';
import { buildCapabilityStatement } from './capability-statement';
import { resolveConditionalReferences } from './conditional-references';
import { BodyError, FHIR_JSON, readFormBody, readJsonBody, sendFhir, versionHeaders } from './http-io';
import { annotateBundleResponse, nameFailingEntry, preferredBody, withoutStatusToken } from './responses';
import { matchSandboxPath } from './rest-interactions';
import { SandboxRepository } from './sandbox-repository';
import { readSearchQuery, SearchQueryError, type SearchQuery } from './search-query';
import { completeSearchset } from './searchset';
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
  const method = (req.method ?? 'GET').toUpperCase();
  const path = url.pathname.slice('/fhir'.length).replace(/^\/+|(?<!\/)\/+$/g, '');
  const route = matchSandboxPath(path === '' ? [] : path.split('/'));
  if (route.kind === 'not-found') return sendFhir(res, 404, errorOutcome('not-found', route.text));
  if (!route.allowed.includes(method)) {
    const text = `${method} is not supported here; allowed: ${route.allowed.join(', ')}.`;
    return sendFhir(res, 405, errorOutcome('not-supported', text), { allow: route.allowed.join(', ') });
  }
  // JSON is the only format offered (R4 http.html#mime-type): XML asked for → 406.
  if (!acceptsFhirJson(req.headers.accept, url.searchParams.get('_format') ?? undefined)) {
    const text = `Only ${FHIR_JSON} is offered; XML and other formats are not.`;
    return sendFhir(res, 406, errorOutcome('not-supported', text));
  }
  const prefer = readPrefer(req.headers.prefer);
  if (route.shape === 'metadata') {
    return sendFhir(res, 200, buildCapabilityStatement(ctx.state.baseUrl, ctx.state.started));
  }
  try {
    if (route.shape === 'type-search' || (route.shape === 'type' && isRead(method))) {
      return await searchType(req, res, url, path.split('/')[0] ?? '', prefer, ctx);
    }
    const body = await readJsonBody(req, ctx.maxBody);
    await routeToRepository(
      res,
      url,
      path,
      isRead(method) ? 'GET' : (method as HttpMethod),
      body,
      prefer,
      req,
      ctx,
    );
  } catch (err) {
    if (err instanceof BodyError) return sendFhir(res, err.status, err.outcome);
    throw err;
  }
}

function isRead(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}

/** `GET [type]?…` and `POST [type]/_search` (R4 http.html#search), answered as a paged searchset. */
async function searchType(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  type: string,
  prefer: FhirPreferences,
  ctx: HandlerContext,
): Promise<void> {
  const pairs: Array<[string, string]> = [...url.searchParams];
  if (req.method === 'POST') pairs.push(...(await readFormBody(req, ctx.maxBody)));
  let query: SearchQuery;
  try {
    query = readSearchQuery(type, pairs, {
      baseUrl: ctx.state.baseUrl,
      strict: prefer.handling === 'strict',
    });
  } catch (err) {
    if (!(err instanceof SearchQueryError)) throw err;
    return sendFhir(res, 400, errorOutcome('invalid', err.message, err.expression || undefined));
  }
  const repo = ctx.repository;
  try {
    const bundle = await repo.exclusive(() => repo.search(query.request));
    sendFhir(res, 200, completeSearchset(bundle, type, query, ctx.state.baseUrl));
  } catch (err) {
    const outcome = normalizeOperationOutcome(err);
    sendFhir(res, getStatus(outcome), withoutStatusToken(outcome));
  }
}

/** Everything else goes through medplum's router over the repository, under the writer lock. */
async function routeToRepository(
  res: ServerResponse,
  url: URL,
  path: string,
  method: HttpMethod,
  body: unknown,
  prefer: FhirPreferences,
  req: IncomingMessage,
  ctx: HandlerContext,
): Promise<void> {
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
  const repo = ctx.repository;
  const transaction = path === '' && isTransaction(body) ? body : undefined;
  const answer = await repo.exclusive(async () => {
    repo.takeFailedWrite();
    if (transaction) {
      const find = (r: SearchRequest): Promise<Resource[]> => repo.searchResources(r);
      const failure = await resolveConditionalReferences(transaction, find, ctx.state.baseUrl);
      if (failure) return failure;
    }
    const [outcome, resource] = await ctx.router.handleRequest(request, repo);
    return { outcome, resource, failed: repo.takeFailedWrite() };
  });
  if ('status' in answer) return sendFhir(res, answer.status, answer.outcome);
  const { outcome, resource, failed } = answer;
  let status = getStatus(outcome);
  if (!resource || !isOk(outcome)) {
    const named = transaction ? nameFailingEntry(outcome, transaction, failed) : outcome;
    return sendFhir(res, status, withoutStatusToken(named));
  }
  if (resource.resourceType === 'Bundle') {
    annotateBundleResponse(resource, ctx.state.baseUrl, (r) => repo.wasCreatedByUpdate(r), prefer);
    return sendFhir(res, status, resource);
  }
  if (method === 'PUT' && repo.wasCreatedByUpdate(resource)) status = 201;
  const headers = versionHeaders(resource, ctx.state.baseUrl, status);
  const written = method === 'POST' || method === 'PUT';
  sendFhir(res, status, written ? preferredBody(resource, status, prefer) : resource, headers);
}

function isTransaction(body: unknown): body is Bundle {
  const b = body as Bundle | undefined;
  return b?.resourceType === 'Bundle' && b.type === 'transaction';
}

/** Host first (a rebinding page must learn nothing, not even that a token is needed), then the token. */
function refusalOf(req: IncomingMessage, url: URL, ctx: HandlerContext): Refusal | undefined {
  const hostRefused = checkHost(req, ctx.allowedHosts);
  if (hostRefused) return hostRefused;
  const metadata = req.method === 'GET' && /^\/fhir\/metadata\/?$/.test(url.pathname);
  return metadata ? undefined : checkToken(req, ctx.acceptsToken);
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
