import type { Agent, Dispatcher } from 'undici';
import { checkUrlPolicy, createGuardedLookup, isForbiddenAddressError, type UrlPolicy } from './url-guard';

/**
 * The only way kap-bridge talks to a destination (FHIR server or token endpoint). Every request
 * goes through the URL guard: the scheme and IP literals are checked before connecting, resolved
 * addresses on connect; redirects are never followed (undici `request` does not follow them; a
 * 3xx comes back as a response for the caller to refuse); connect and total timeouts apply.
 */

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpResponse {
  kind: 'response';
  status: number;
  /** Lower-case header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
}

/** The request never produced a response. `refused` = the guard refused it (permanent). */
export interface HttpError {
  kind: 'refused' | 'network-error' | 'timeout';
  message: string;
}

export type HttpResult = HttpResponse | HttpError;

export interface GuardedHttpClient {
  /** Sends one request under the destination's URL policy. Never throws for network trouble. */
  send(policy: UrlPolicy, req: HttpRequest): Promise<HttpResult>;
  /** Closes the connection pools. */
  close(): Promise<void>;
}

export interface HttpClientOptions {
  /** TCP + TLS handshake bound. Default 10 s. */
  connectTimeoutMs?: number;
  /** Whole request bound, response body included. Default 30 s. */
  totalTimeoutMs?: number;
  /** Responses larger than this are cut off as a network error. Default 16 MiB. */
  maxResponseBytes?: number;
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

async function readBody(res: Dispatcher.ResponseData, max: number): Promise<string> {
  const tooLarge = () => new Error(`response larger than ${max} bytes`);
  const declared = res.headers['content-length'];
  if (typeof declared === 'string' && /^\d+$/.test(declared)) {
    if (Number(declared) > max) {
      res.body.on('error', () => undefined); // the abort below is the only error, and it is ours
      res.body.destroy();
      throw tooLarge();
    }
    // HTTP/1.1 reads exactly the declared length as the body: read at once, not chunk by chunk
    // (issue 12: the async iteration showed in the relay's profile for every push).
    return res.body.text();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += buf.length;
    if (size > max) {
      res.body.destroy();
      throw tooLarge();
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * undici, loaded on the first request: `serve` listens before its first delivery, and loading
 * undici was about 60 ms of every start (issue 12).
 */
function undici(): typeof import('undici') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('undici') as typeof import('undici');
}

/** Builds the guarded client; one connection pool per `allowPrivateNetwork` value. */
export function createGuardedHttpClient(options: HttpClientOptions = {}): GuardedHttpClient {
  const connectTimeout = options.connectTimeoutMs ?? 10_000;
  const total = options.totalTimeoutMs ?? 30_000;
  const maxBytes = options.maxResponseBytes ?? 16 * 1024 * 1024;
  const agents = new Map<boolean, Agent>();
  const agentFor = (allowPrivate: boolean): Agent => {
    let agent = agents.get(allowPrivate);
    if (!agent) {
      agent = new (undici().Agent)({
        connect: { lookup: createGuardedLookup(allowPrivate), timeout: connectTimeout },
        headersTimeout: total,
        bodyTimeout: total,
        maxRedirections: 0,
      });
      agents.set(allowPrivate, agent);
    }
    return agent;
  };

  async function send(policy: UrlPolicy, req: HttpRequest): Promise<HttpResult> {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return { kind: 'refused', message: `not a URL: ${req.url}` };
    }
    const refused = checkUrlPolicy(url, policy);
    if (refused) return { kind: 'refused', message: refused };
    const signal = AbortSignal.timeout(total);
    try {
      const res = await undici().request(url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        dispatcher: agentFor(policy.allowPrivateNetwork),
        signal,
      });
      const body = await readBody(res, maxBytes);
      return { kind: 'response', status: res.statusCode, headers: flattenHeaders(res.headers), body };
    } catch (err) {
      return describeError(err, signal.aborted, `${req.method} ${url.origin}${url.pathname}`);
    }
  }

  return {
    send,
    close: async () => {
      await Promise.all([...agents.values()].map((a) => a.close()));
      agents.clear();
    },
  };
}

function describeError(err: unknown, aborted: boolean, what: string): HttpError {
  const message = err instanceof Error ? err.message : String(err);
  if (isForbiddenAddressError(err)) return { kind: 'refused', message };
  const code = (err as { code?: unknown } | undefined)?.code;
  if (
    aborted ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT'
  ) {
    return {
      kind: 'timeout',
      message: `${what} timed out (${typeof code === 'string' ? code : 'total timeout'})`,
    };
  }
  return {
    kind: 'network-error',
    message: `${what} failed: ${typeof code === 'string' ? `${code} ` : ''}${message}`,
  };
}
