import type { Request, RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { ApiKeyRegistry } from './api-keys';
import type { HttpConfig } from './app-deps';
import { identify } from './auth';
import { httpError } from './errors';

/**
 * Limits per client address for requests that carry no valid key (DESIGN.md §8 "Trust at the
 * edge"): the per-key limit cannot see them, so without this a flood of unauthenticated requests —
 * key guessing, 404 probing, `/fhir/metadata` — would never be throttled. The bucket is the
 * address (`req.ip`; IPv6 by /56 so one host cannot rotate addresses): behind a reverse proxy every
 * client shares the proxy's address, so the proxy should limit too. In-memory, per process.
 */

type Limit = HttpConfig['anonymousRateLimit'];

/**
 * Counts every request without a valid key against its address, except the probes: `/healthz`
 * and `/readyz` have their own bucket ({@link probeRateLimiter}), so a flood of other requests
 * from the address an orchestrator probes from cannot make a healthy service look dead.
 */
export function anonymousRateLimiter(
  keys: ApiKeyRegistry,
  cfg: Limit,
  isProbe: (req: Request) => boolean,
): RequestHandler {
  return rateLimit({
    windowMs: cfg.windowMs,
    limit: cfg.limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    skip: (req) => isProbe(req) || identify(keys, req) !== undefined,
    handler: (_req, _res, next) => {
      next(
        httpError(
          429,
          'throttled',
          'Too many requests without a valid API key from this address; retry after the Retry-After delay.',
        ),
      );
    },
  });
}

/**
 * The probes' own bound per address, keyed or not: generous (several probes a second never reach
 * it) yet finite, since `/readyz` queries the store and must not become an unthrottled way in.
 */
export function probeRateLimiter(cfg: Limit): RequestHandler {
  return ownBucketLimiter(
    cfg,
    'Too many probe requests from this address; retry after the Retry-After delay.',
  );
}

/**
 * The dashboard's files' own bound per address (`/ui/…`, keyed or not — a browser sends no key
 * for them): a page load fetches about fifteen files, so the anonymous bound would lock a person
 * out after a few reloads, yet a flood of them is still throttled.
 */
export function uiRateLimiter(cfg: Limit): RequestHandler {
  return ownBucketLimiter(
    cfg,
    'Too many requests for the dashboard from this address; retry after the Retry-After delay.',
  );
}

function ownBucketLimiter(cfg: Limit, text: string): RequestHandler {
  return rateLimit({
    windowMs: cfg.windowMs,
    limit: cfg.limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    // A separate instance, hence a separate store: these hits never count against the anonymous bucket.
    handler: (_req, _res, next) => {
      next(httpError(429, 'throttled', text));
    },
  });
}
