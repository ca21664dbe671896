import { randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { Metrics } from './metrics';

/**
 * Structured logs that carry no PHI (DESIGN.md §8, HIPAA 164.312(b) keeps the audit trail
 * elsewhere). The request logger writes only method, route *template*, status, duration, key name
 * and request id — never bodies, URLs or query values (an MRN sits in a path). `redact` is a
 * second line of defence for anything a future log call passes by mistake.
 */

/** Field names that hold PHI or secrets in practice records, FHIR resources or requests. */
const PHI_FIELDS = [
  'authorization',
  'cookie',
  'body',
  'query',
  'url',
  'params',
  'client',
  'patient',
  'mrn',
  'clientMrn',
  'patientMrn',
  'identifier',
  'referrerPatientId',
  'name',
  'birthDate',
  'phone',
  'email',
  'telecom',
  'address',
  'focus',
  'observations',
  'suggestions',
  'note',
  'reason',
  'receivedBy',
  'payload',
  'resource',
  'entry',
  'key',
];

/**
 * Paths pino blanks out: each PHI field at the top level and up to three levels down (pino's
 * redact has no recursive wildcard, so the depths are listed).
 */
export const REDACT_PATHS = PHI_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`, `*.*.*.${f}`]);

/** A pino logger with the redaction config; `destination` lets tests capture lines. */
export function createLogger(opts: { level?: string; destination?: DestinationStream } = {}): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? 'info',
    base: { service: 'kap-bridge' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** The route template a request matched (set by the route table), or `unmatched`. */
export function routeOf(res: Response): string {
  return typeof res.locals.route === 'string' ? res.locals.route : 'unmatched';
}

/** Assigns a request id (response header `X-Request-Id`) and logs + counts the request when it ends. */
export function requestLogger(logger: Logger, metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const requestId = randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    const started = performance.now();
    let done = false;
    const finish = (aborted: boolean) => {
      if (done) return;
      done = true;
      const seconds = (performance.now() - started) / 1000;
      const route = routeOf(res);
      const status = aborted && !res.headersSent ? 499 : res.statusCode;
      metrics.observeHttp(req.method, route, status, seconds);
      const actor = res.locals.actor as { keyName?: string } | undefined;
      logger.info(
        {
          reqId: requestId,
          method: req.method,
          route,
          status,
          durationMs: Math.round(seconds * 100_000) / 100,
          keyName: actor?.keyName,
          aborted: aborted || undefined,
        },
        'request',
      );
    };
    res.on('finish', () => finish(false));
    res.on('close', () => finish(!res.writableFinished));
    next();
  };
}

/** Logs an unexpected error without its message (which may quote PHI): class, code, stack frames. */
export function logUnexpected(logger: Logger, err: unknown, requestId: unknown, route: string): void {
  const e = err instanceof Error ? err : undefined;
  logger.error(
    {
      reqId: requestId,
      route,
      errType: e?.constructor.name ?? typeof err,
      errCode: codeOf(e),
      // Frames only: the first stack line repeats the message.
      frames: e?.stack
        ?.split('\n')
        .slice(1, 11)
        .map((l) => l.trim()),
    },
    'unexpected error',
  );
}

/** A system error code (`ECONNREFUSED`, `SQLITE_BUSY`, a pg SQLSTATE) when it is a short token. */
function codeOf(err: Error | undefined): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  const text = typeof code === 'number' ? String(code) : code;
  return typeof text === 'string' && /^[A-Za-z0-9_.-]{1,40}$/.test(text) ? text : undefined;
}
