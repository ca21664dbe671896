import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SearchRequest } from '@medplum/core';
import { getStatus, isOk, normalizeOperationOutcome } from '@medplum/core';
import type { FhirRequest, FhirRouter, HttpMethod } from '@medplum/fhir-router';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { acceptsFhirJson, readPrefer, type FhirPreferences } from '../fhir/http-preferences';
import { errorOutcome } from '../fhir/outcomes';
import { buildCapabilityStatement } from './capability-statement';
import { resolveChains } from './chained-search';
import { checkTransactionEntries, resolveConditionalReferences } from './conditional-references';
import { BodyError, FHIR_JSON, readFormBody, readJsonBody, sendFhir, versionHeaders } from './http-io';
import { annotateBundleResponse, nameFailingEntry, preferredBody, withoutStatusToken } from './responses';
import { matchSandboxPath } from './rest-interactions';
import { checkHost, checkToken, type Refusal, type TokenCheck } from './sandbox-guard';
import type { SandboxRepository } from './sandbox-repository';
import { readSearchQuery, SearchQueryError, type SearchQuery } from './search-query';
import { completeSearchset } from './searchset';
import { forwardedBaseUrl } from './forwarded-base';

/**
 * One sandbox request, from the socket to the answer (R4 http.html): guard (Host, token), the
 * route table (404, 405 + Allow), content negotiation (406), then a search answered here or any
 * other interaction through medplum's `FhirRouter` over the repository, under its writer lock.
 */

/** What every request shares: the repository, the router, the server's settings. */
export interface HandlerContext {
  repository: SandboxRepository;
  router: FhirRouter;
  state: { baseUrl: string; started: string };
  maxBody: number;
  allowedHosts: ReadonlySet<string>;
  acceptsToken: TokenCheck;
}

/** One request in flight, once routed. */
interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The path below `/fhir`, without leading or trailing slashes. */
  path: string;
  prefer: FhirPreferences;
  ctx: HandlerContext;
}

/** Answers one request. Throws only for bugs (the server answers those 500). */
export async function handleSandboxRequest(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: HandlerContext,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
  const refused = refusalOf(req, url, ctx);
  if (refused) return sendFhir(res, refused.status, refused.outcome, refused.headers);
  if (url.pathname !== '/fhir' && !url.pathname.startsWith('/fhir/')) {
    const text = `No FHIR endpoint at ${url.pathname}; the base is /fhir.`;
    return sendFhir(res, 404, errorOutcome('not-found', text));
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
  if (route.shape === 'metadata') {
    return sendFhir(res, 200, buildCapabilityStatement(ctx.state.baseUrl, ctx.state.started));
  }
  const exchange: Exchange = { req, res, url, path, prefer: readPrefer(req.headers.prefer), ctx };
  try {
    if (route.shape === 'type-search' || (route.shape === 'type' && isRead(method))) {
      return await searchType(exchange, path.split('/')[0] ?? '');
    }
    // HEAD is a GET whose body node's http leaves off (RFC 9110 §9.3.2).
    await routeToRepository(exchange, isRead(method) ? 'GET' : (method as HttpMethod));
  } catch (err) {
    if (err instanceof BodyError) return sendFhir(res, err.status, err.outcome);
    throw err;
  }
}

function isRead(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}

/** `GET [type]?…` and `POST [type]/_search` (R4 http.html#search), answered as a paged searchset. */
async function searchType({ req, res, url, prefer, ctx }: Exchange, type: string): Promise<void> {
  const pairs: Array<[string, string]> = [...url.searchParams];
  if (req.method === 'POST') pairs.push(...(await readFormBody(req, ctx.maxBody)));
  let query: SearchQuery;
  try {
    const strict = prefer.handling === 'strict';
    query = readSearchQuery(type, pairs, { baseUrl: ctx.state.baseUrl, strict });
  } catch (err) {
    if (!(err instanceof SearchQueryError)) throw err;
    return sendFhir(res, 400, errorOutcome('invalid', err.message, err.expression || undefined));
  }
  const repo = ctx.repository;
  const findAll = async (r: SearchRequest): Promise<Resource[]> => repo.findAll(r);
  try {
    const bundle = await repo.exclusive(async () => {
      const request = await resolveChains(query, findAll, ctx.state.baseUrl);
      return request ? repo.search(request) : emptySearchset();
    });
    sendFhir(res, 200, completeSearchset(bundle, type, query, forwardedBaseUrl(req, ctx.state.baseUrl)));
  } catch (err) {
    if (err instanceof SearchQueryError) {
      return sendFhir(res, 400, errorOutcome('invalid', err.message, err.expression || undefined));
    }
    const outcome = normalizeOperationOutcome(err);
    sendFhir(res, getStatus(outcome), withoutStatusToken(outcome));
  }
}

/**
 * Everything else goes through medplum's router over the repository, under the writer lock. A
 * transaction's conditional references are resolved first, in the same lock.
 */
async function routeToRepository(exchange: Exchange, method: HttpMethod): Promise<void> {
  const { req, res, url, path, prefer, ctx } = exchange;
  const body = await readJsonBody(req, ctx.maxBody);
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
      const failure =
        checkTransactionEntries(transaction, ctx.state.baseUrl) ??
        (await resolveConditionalReferences(transaction, find, ctx.state.baseUrl));
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

function emptySearchset(): Bundle {
  return { resourceType: 'Bundle', type: 'searchset', total: 0, entry: [] };
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
