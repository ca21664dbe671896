import type { OperationOutcome } from '@medplum/fhirtypes';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import { acceptsFhirJson } from '../../fhir/http-preferences';
import { errorOutcome, type IssueCode } from '../../fhir/outcomes';

/**
 * The one error funnel (STYLE.md, after medplum `server/src/fhir/outcomes.ts` `sendOutcome`):
 * every error that crosses the wire is an OperationOutcome with an R4 IssueType code, sent with
 * `application/fhir+json`. Handlers either answer or throw an `HttpError`; anything else that is
 * thrown is a bug and becomes a 500 `exception` that says nothing about the internals.
 */

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/** An expected failure with its HTTP status and the outcome to send. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly outcome: OperationOutcome,
    readonly headers: Record<string, string> = {},
  ) {
    super(outcome.issue?.[0]?.details?.text ?? `HTTP ${status}`);
    this.name = 'HttpError';
  }
}

/** Shorthand: an `HttpError` with a single issue. */
export function httpError(
  status: number,
  code: IssueCode,
  text: string,
  expression?: string | string[],
): HttpError {
  return new HttpError(status, errorOutcome(code, text, expression));
}

/** Sends a FHIR resource (an OperationOutcome, a Bundle, …) as `application/fhir+json`. */
export function sendFhir(res: Response, status: number, body: object): void {
  res.status(status).type(FHIR_JSON).send(JSON.stringify(body));
}

/** 404 for any path no route matches. The path is not echoed: it may hold an MRN. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(httpError(404, 'not-found', `No endpoint answers ${req.method} at this path.`));
};

/** 405 for a known path with a method it does not serve; `Allow` lists the ones it does. */
export function methodNotAllowed(allowed: readonly string[]): RequestHandler {
  const allow = [...allowed, ...(allowed.includes('GET') ? ['HEAD'] : [])].join(', ');
  return (req, res, next) => {
    if (req.method === 'OPTIONS') {
      res.setHeader('Allow', `${allow}, OPTIONS`);
      res.status(204).end();
      return;
    }
    const text = `${req.method} is not supported here; allowed: ${allow}.`;
    next(new HttpError(405, errorOutcome('not-supported', text), { Allow: allow }));
  };
}

/**
 * 406 unless the client accepts FHIR JSON, the only format offered: `_format` (which wins) or
 * `Accept` naming XML alone (R4 http.html#mime-type). The outcome itself goes out as JSON.
 */
export const requireFhirJsonAnswer: RequestHandler = (req, _res, next) => {
  const format = typeof req.query._format === 'string' ? req.query._format : undefined;
  if (req.query._format !== undefined && format === undefined) {
    return next(httpError(400, 'invalid', '_format must be given once.', '_format'));
  }
  if (acceptsFhirJson(req.get('accept'), format)) return next();
  next(
    httpError(406, 'not-supported', 'Only application/fhir+json is offered; XML and other formats are not.'),
  );
};

/** What the error handler needs: a way to report unexpected errors without PHI. */
export interface ErrorReporter {
  unexpected(err: unknown, req: Request): void;
}

/** The terminal express error handler: every error becomes an OperationOutcome response. */
export function errorHandler(reporter: ErrorReporter): ErrorRequestHandler {
  return (err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const known = err instanceof HttpError ? err : (fromBodyParser(err) ?? fromRequestDecoding(err));
    if (known) {
      for (const [name, value] of Object.entries(known.headers)) res.setHeader(name, value);
      sendFhir(res, known.status, known.outcome);
      return;
    }
    reporter.unexpected(err, req);
    // No message, stack or cause: they may carry PHI or internals (HIPAA 164.312, OWASP A05).
    const ref = typeof res.locals.requestId === 'string' ? ` (request id ${res.locals.requestId})` : '';
    sendFhir(res, 500, errorOutcome('exception', `An unexpected error occurred${ref}.`));
  };
}

interface BodyParserError {
  type: string;
  status?: number;
  limit?: number;
}

function isBodyParserError(err: unknown): err is BodyParserError {
  return typeof err === 'object' && err !== null && typeof (err as { type?: unknown }).type === 'string';
}

/** Maps raw-body / body-parser errors (size, encoding, aborted) onto outcomes. */
function fromBodyParser(err: unknown): HttpError | undefined {
  if (!isBodyParserError(err)) return undefined;
  switch (err.type) {
    case 'entity.too.large':
      return httpError(413, 'too-long', `The body is larger than the limit of ${err.limit ?? '?'} bytes.`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return httpError(415, 'not-supported', 'The body must be UTF-8 encoded JSON.');
    case 'request.aborted':
      return httpError(400, 'incomplete', 'The request body was not received completely.');
    case 'request.size.invalid':
      return httpError(400, 'structure', 'The body length does not match Content-Length.');
    default:
      return undefined;
  }
}

/**
 * A client's malformed request that fails below the routes: a path parameter with a bad
 * %-escape (the router's `decodeURIComponent` throws a URIError, before authentication) or a
 * `Content-Encoding: gzip`/`deflate` body that does not inflate (zlib's `Z_*` errors, passed on
 * by body-parser). Both are the client's mistake — 400, not a 500 with a stack in the log.
 */
function fromRequestDecoding(err: unknown): HttpError | undefined {
  if (err instanceof URIError) {
    return httpError(400, 'invalid', 'The path holds a malformed percent-escape (RFC 3986 §2.1).');
  }
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return httpError(400, 'structure', 'The compressed body could not be decompressed (Content-Encoding).');
  }
  return undefined;
}
