import type { Request, RequestHandler, Response } from 'express';
import { errorOutcome } from '../../fhir/outcomes';
import type { ApiKeyIdentity, ApiKeyRegistry } from './api-keys';
import type { Actor, Scope } from './app-deps';
import { HttpError } from './errors';

/**
 * Bearer API keys (RFC 6750) and scopes (DESIGN.md §8). The actor is put on `res.locals` from the
 * key, never from the request body, so a request cannot claim to be someone else.
 */

const CHALLENGE = 'Bearer realm="kap-bridge"';

/** 401 unless `Authorization: Bearer <key>` names a known key; sets `res.locals.actor`. */
export function authenticate(keys: ApiKeyRegistry): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization');
    const identity = identify(keys, req);
    if (!identity) {
      const text = header
        ? 'The API key is not valid.'
        : 'This endpoint needs an API key: send Authorization: Bearer <key>.';
      const challenge = header ? `${CHALLENGE}, error="invalid_token"` : CHALLENGE;
      next(new HttpError(401, errorOutcome('login', text), { 'WWW-Authenticate': challenge }));
      return;
    }
    const actor: Actor = {
      keyName: identity.name,
      scopes: identity.scopes,
      requestId: requestIdOf(res),
      ...(identity.senders ? { senders: identity.senders } : {}),
    };
    res.locals.actor = actor;
    next();
  };
}

/** The identity behind the request's `Authorization: Bearer <key>`, if it names a known key. */
export function identify(keys: ApiKeyRegistry, req: Request): ApiKeyIdentity | undefined {
  const header = req.get('authorization');
  const match = header ? /^Bearer +(\S+)\s*$/i.exec(header) : null;
  return match?.[1] ? keys.authenticate(match[1]) : undefined;
}

/** 403 unless the authenticated key holds `scope`. */
export function requireScope(scope: Scope): RequestHandler {
  return (_req, res, next) => {
    if (!actorOf(res).scopes.includes(scope)) {
      const text = `The API key does not hold the "${scope}" scope this endpoint needs.`;
      next(
        new HttpError(403, errorOutcome('forbidden', text), {
          'WWW-Authenticate': `${CHALLENGE}, error="insufficient_scope", scope="${scope}"`,
        }),
      );
      return;
    }
    next();
  };
}

/** The authenticated actor; a handler behind `authenticate` that finds none is a bug. */
export function actorOf(res: Response): Actor {
  const actor = res.locals.actor as Actor | undefined;
  if (!actor) throw new Error('actorOf called on a route without authenticate()');
  return actor;
}

function requestIdOf(res: Response): string {
  return typeof res.locals.requestId === 'string' ? res.locals.requestId : 'unknown';
}
