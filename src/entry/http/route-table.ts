import type { Express, Request, RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { anonymousRateLimiter, probeRateLimiter } from './anonymous-rate-limit';
import type { ApiKeyRegistry } from './api-keys';
import type { HttpConfig, Scope } from './app-deps';
import { actorOf, authenticate, requireScope } from './auth';
import type { FhirCapability } from './capability-statement';
import { httpError, methodNotAllowed, requireFhirJsonAnswer } from './errors';
import { readJsonBody, requireJsonContentType } from './json-body';

/**
 * Routes as data: method, path template, scope and whether a JSON body is read. From the table
 * come the guards (anonymous limit per address → key → rate limit → scope → content type →
 * body), the route template the logs and metrics use, and a 405 with `Allow` for every other
 * method on a known path.
 */
export interface RouteSpec {
  method: 'get' | 'post';
  path: string;
  /** Scope the API key must hold; absent = no key needed (DESIGN.md §8: metadata, health). */
  scope?: Scope;
  /** A valid key is needed but no particular scope (`GET /session`: who am I, what may I do). */
  anyKey?: boolean;
  /** Reads a JSON body (415 / 413 / 400 guards). */
  body?: boolean;
  /** A liveness/readiness probe: its own generous rate limit instead of the anonymous one. */
  probe?: boolean;
  /**
   * What a FHIR route offers: the CapabilityStatement at `/fhir/metadata` is generated from these
   * declarations (capability-statement.ts), so a route added here claims itself.
   */
  fhir?: FhirCapability[];
  handler: RequestHandler;
}

interface RegisterOptions {
  keys: ApiKeyRegistry;
  config: HttpConfig;
}

/** Registers every route, then a 405 catch-all per known path. */
export function registerRoutes(app: Express, routes: RouteSpec[], opts: RegisterOptions): void {
  const guards = {
    auth: authenticate(opts.keys),
    limit: keyRateLimiter(opts.config.rateLimit),
    probeLimit: probeRateLimiter(opts.config.probeRateLimit),
    body: [requireJsonContentType, ...readJsonBody(opts.config.bodyLimit)],
  };
  const probes = new Set(routes.filter((r) => r.probe).map((r) => r.path.toLowerCase()));
  // Before every route, so that 401s, 404s and 405s without a key are counted as well.
  const isProbe = (req: Request): boolean =>
    (req.method === 'GET' || req.method === 'HEAD') && probes.has(pathOf(req));
  app.use(anonymousRateLimiter(opts.keys, opts.config.anonymousRateLimit, isProbe));
  const methodsByPath = new Map<string, string[]>();
  for (const route of routes) {
    const chain: RequestHandler[] = [markRoute(route.path)];
    if (route.probe) chain.push(guards.probeLimit);
    if (route.scope || route.anyKey) chain.push(guards.auth, guards.limit);
    if (route.scope) chain.push(requireScope(route.scope));
    // FHIR answers are JSON only: XML asked for → 406 before any work (R4 http.html#mime-type).
    if (isFhirPath(route.path)) chain.push(requireFhirJsonAnswer);
    if (route.body) chain.push(...guards.body);
    app[route.method](route.path, ...chain, route.handler);
    methodsByPath.set(route.path, [...(methodsByPath.get(route.path) ?? []), route.method.toUpperCase()]);
  }
  for (const [path, methods] of methodsByPath) {
    app.all(path, markRoute(path), methodNotAllowed(methods));
  }
}

function isFhirPath(path: string): boolean {
  return path === '/fhir' || path.startsWith('/fhir/');
}

/** The path as routing sees it: express matches case-insensitively and ignores a trailing slash. */
function pathOf(req: Request): string {
  const path = req.path.toLowerCase();
  let end = path.length;
  while (end > 0 && path[end - 1] === '/') end--; // a loop, not /\/+$/: linear on any input
  return path.slice(0, end);
}

/** Records the route template so logs and metrics never see the concrete path (it may hold an MRN). */
function markRoute(path: string): RequestHandler {
  return (_req, res, next) => {
    res.locals.route = path;
    next();
  };
}

/**
 * Per-key rate limit (express-rate-limit, in-memory store: one process; several instances each
 * count their own). Runs after `authenticate`, so the bucket is the key name, not the IP.
 */
function keyRateLimiter(cfg: HttpConfig['rateLimit']): RequestHandler {
  return rateLimit({
    windowMs: cfg.windowMs,
    limit: cfg.limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (_req, res) => actorOf(res).keyName,
    handler: (_req, _res, next) => {
      next(
        httpError(429, 'throttled', 'Too many requests for this API key; retry after the Retry-After delay.'),
      );
    },
  });
}
