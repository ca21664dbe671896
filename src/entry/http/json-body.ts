import express, { type RequestHandler } from 'express';
import { parseJsonBytes, type JsonFailure } from '../../fhir/json';
import { httpError } from './errors';

/**
 * Body handling for every endpoint that takes JSON. FHIR's JSON format is
 * `application/fhir+json` (http://hl7.org/fhir/R4/http.html#mime-type); plain `application/json`
 * is accepted too. Anything else is refused with 415 before the body is read.
 */

const JSON_TYPES = ['application/fhir+json', 'application/json'];

/** 415 unless a body that is present is JSON (UTF-8). A request without a body passes. */
export const requireJsonContentType: RequestHandler = (req, _res, next) => {
  const matched = req.is(JSON_TYPES);
  // No body at all (an empty one counts as none): the handler decides whether it needs one.
  if (matched === null || req.get('content-length') === '0') return next();
  if (matched === false) {
    return next(
      httpError(415, 'not-supported', 'The body must be application/fhir+json or application/json.'),
    );
  }
  const charset = /;\s*charset=("?)([^";]+)\1/i.exec(req.get('content-type') ?? '')?.[2];
  if (charset && !/^utf-?8$/i.test(charset)) {
    return next(httpError(415, 'not-supported', 'The body must be UTF-8 encoded JSON.'));
  }
  next();
};

/**
 * Reads the body (at most `limit`, else 413) and parses it with the one strict parser
 * (`fhir/json.ts`, DESIGN.md §8 "Trust at the edge"): invalid UTF-8, duplicate keys and nesting
 * deeper than 100 levels are refused like any malformed JSON, 400 `structure`, never repaired.
 */
export function readJsonBody(limit: number | string): RequestHandler[] {
  const raw = express.raw({ type: JSON_TYPES, limit });
  const parse: RequestHandler = (req, _res, next) => {
    if (!Buffer.isBuffer(req.body)) {
      req.body = undefined;
      return next();
    }
    if (isBlank(req.body)) return next(httpError(400, 'required', 'The request needs a JSON body.'));
    const parsed = parseJsonBytes(req.body);
    if (!parsed.ok) return next(malformed(parsed));
    req.body = parsed.value;
    next();
  };
  return [raw, parse];
}

function isBlank(bytes: Buffer): boolean {
  return bytes.every((b) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d);
}

/** The parser's reason and position, never the body's text: it may hold PHI. */
function malformed(at: JsonFailure) {
  const where = `at line ${at.line}, column ${at.column} (character ${at.offset})`;
  return httpError(400, 'structure', `The body is not valid JSON: ${at.message} ${where}.`);
}

/** The parsed body, or 400 when the endpoint needs one and none came. */
export function requireBody(body: unknown): unknown {
  if (body === undefined) throw httpError(400, 'required', 'The request needs a JSON body.');
  return body;
}
