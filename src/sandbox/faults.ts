import { createServer, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Resource } from '@medplum/fhirtypes';
import { errorOutcome } from '../fhir/outcomes';
import { sendFhir } from './http-io';

/**
 * One misbehaviour the proxy can show instead of (or around) forwarding a request:
 * - `status`: answer `status` without forwarding (e.g. 503, 429 with `retryAfter`, 400); the
 *   body is `body` or an OperationOutcome. The server never sees the request.
 * - `drop-response`: forward, wait until the server has answered (so it has committed), then
 *   destroy the client's socket — "the destination committed but the response was lost".
 * - `reset`: destroy the client's socket without forwarding (a network error before commit).
 * - `redirect`: answer `status` (302 by default) with `Location: location`, without forwarding.
 * - `delay`: wait `ms`, then forward normally (for client timeouts and ordering).
 */
export type Fault =
  | { kind: 'status'; status: number; retryAfter?: string | number; body?: Resource }
  | { kind: 'drop-response' }
  | { kind: 'reset' }
  | { kind: 'redirect'; location: string; status?: 301 | 302 | 303 | 307 | 308 }
  | { kind: 'delay'; ms: number };

/** Which requests a rule applies to; an omitted field matches anything. */
export interface RequestMatcher {
  /** HTTP method, e.g. `POST`. */
  method?: string;
  /** Matched against the path + query as received (e.g. `/fhir/Patient?identifier=…`). */
  path?: string | RegExp;
}

/** A fault applied to the next `times` matching requests (default 1; `Infinity` for always). */
export interface FaultRule {
  fault: Fault;
  times?: number;
  match?: RequestMatcher;
}

/** What the proxy saw and did, in arrival order. */
export interface RecordedRequest {
  method: string;
  /** Path + query as received. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw request body (empty string when none). */
  body: string;
  /** The fault applied, or `forwarded` when the request passed through untouched. */
  outcome: Fault['kind'] | 'forwarded';
  /** The status the client received (undefined when its socket was destroyed). */
  status?: number;
}

/** A running fault proxy; see {@link startFaultProxy}. */
export interface FaultProxy {
  /** The proxy's URL with the target's path, e.g. `http://127.0.0.1:5123/fhir`. */
  url: string;
  port: number;
  /** Adds a rule after the existing ones (rules are tried in order; the first match applies). */
  enqueue(fault: Fault, options?: { times?: number; match?: RequestMatcher }): void;
  /** Replaces all rules. */
  setRules(rules: FaultRule[]): void;
  /** Removes all rules (every request is forwarded) and forgets recorded requests. */
  reset(): void;
  /** Every request received so far. */
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** Where to forward, e.g. a sandbox's `url` (`http://127.0.0.1:8090/fhir`). */
  target: string;
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  host?: string;
}

/**
 * Starts a programmable HTTP proxy between a client and a FHIR server, for delivery tests: queue
 * faults with `enqueue`, point the client at `url`, then assert on `requests`.
 *
 * @example
 * const proxy = await startFaultProxy({ target: sandbox.url });
 * proxy.enqueue({ kind: 'status', status: 503 }, { times: 2 });
 * proxy.enqueue({ kind: 'drop-response' }, { match: { method: 'POST' } });
 * // …deliver to proxy.url; the third POST reaches the sandbox but its answer is lost.
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const rules: Array<Required<Pick<FaultRule, 'fault' | 'times'>> & { match?: RequestMatcher }> = [];
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    handleProxied(req, res, target, takeFault(rules, req), requests).catch(() => res.destroy());
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}${target.pathname.replace(/\/$/, '')}`,
    port,
    requests,
    enqueue: (fault, opts) => rules.push({ fault, times: opts?.times ?? 1, match: opts?.match }),
    setRules: (next) => rules.splice(0, rules.length, ...next.map((r) => ({ ...r, times: r.times ?? 1 }))),
    reset: () => {
      rules.splice(0, rules.length);
      requests.splice(0, requests.length);
    },
    close: () => closeServer(server),
  };
}

function takeFault(
  rules: Array<{ fault: Fault; times: number; match?: RequestMatcher }>,
  req: IncomingMessage,
) {
  const index = rules.findIndex((r) => r.times > 0 && matches(r.match, req));
  const rule = rules[index];
  if (!rule) return undefined;
  rule.times -= 1;
  if (rule.times <= 0) rules.splice(index, 1);
  return rule.fault;
}

function matches(matcher: RequestMatcher | undefined, req: IncomingMessage): boolean {
  if (!matcher) return true;
  if (matcher.method && matcher.method.toUpperCase() !== req.method) return false;
  const path = req.url ?? '';
  if (typeof matcher.path === 'string') return path === matcher.path || path.startsWith(matcher.path);
  if (matcher.path instanceof RegExp) return matcher.path.test(path);
  return true;
}

async function handleProxied(
  req: IncomingMessage,
  res: ServerResponse,
  target: URL,
  fault: Fault | undefined,
  log: RecordedRequest[],
): Promise<void> {
  const body = await readAll(req);
  const record: RecordedRequest = {
    method: req.method ?? 'GET',
    path: req.url ?? '/',
    headers: req.headers,
    body: body.toString('utf8'),
    outcome: fault?.kind ?? 'forwarded',
  };
  log.push(record);
  switch (fault?.kind) {
    case 'status':
      record.status = fault.status;
      return answerStatus(res, fault);
    case 'redirect':
      record.status = fault.status ?? 302;
      res.writeHead(record.status, { location: fault.location, 'content-length': 0 });
      return void res.end();
    case 'reset':
      return void req.socket.destroy();
    case 'delay':
      await new Promise((resolve) => setTimeout(resolve, fault.ms));
      break;
    default:
      break;
  }
  const upstream = await forward(req, body, target);
  if (fault?.kind === 'drop-response') return void req.socket.destroy();
  record.status = upstream.status;
  res.writeHead(upstream.status, upstream.headers);
  res.end(upstream.body);
}

function answerStatus(res: ServerResponse, fault: Extract<Fault, { kind: 'status' }>): void {
  const headers: Record<string, string> = {};
  if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
  const code = fault.status === 429 ? 'throttled' : fault.status >= 500 ? 'transient' : 'invalid';
  const body = fault.body ?? errorOutcome(code, `Injected fault: HTTP ${fault.status}.`);
  sendFhir(res, fault.status, body, headers);
}

interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Forwards the request to the target origin, keeping method, path, headers and body. */
function forward(req: IncomingMessage, body: Buffer, target: URL): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    // As a reverse proxy does: the upstream links back to where the client came in (X-Forwarded-Host).
    const forwardedHost = req.headers.host ? { 'x-forwarded-host': req.headers.host } : {};
    const headers = {
      ...req.headers,
      ...forwardedHost,
      host: target.host,
      'content-length': String(body.length),
    };
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
      (res) => {
        readAll(res).then(
          (data) =>
            resolve({ status: res.statusCode ?? 502, headers: withoutHopHeaders(res.headers), body: data }),
          reject,
        );
      },
    );
    upstream.on('error', reject);
    upstream.end(body);
  });
}

function withoutHopHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out = { ...headers };
  delete out.connection;
  delete out['keep-alive'];
  delete out['transfer-encoding'];
  return out;
}

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
