import express, { type RequestHandler } from 'express';
import { httpError } from './errors';
import { locateJsonError } from './json-error-position';

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

/** Reads the body (at most `limit`, else 413) and parses it; malformed JSON → 400 `structure`. */
export function readJsonBody(limit: number | string): RequestHandler[] {
  const raw = express.raw({ type: JSON_TYPES, limit });
  const parse: RequestHandler = (req, _res, next) => {
    if (!Buffer.isBuffer(req.body)) {
      req.body = undefined;
      return next();
    }
    const text = req.body.toString('utf8');
    try {
      req.body = JSON.parse(text) as unknown;
      next();
    } catch {
      next(malformed(text));
    }
  };
  return [raw, parse];
}

function malformed(text: string) {
  if (text.trim() === '') return httpError(400, 'required', 'The request needs a JSON body.');
  const at = locateJsonError(text);
  const where = at ? ` at line ${at.line}, column ${at.column} (character ${at.offset})` : '';
  return httpError(400, 'structure', `The body is not valid JSON: parsing failed${where}.`);
}

/** The parsed body, or 400 when the endpoint needs one and none came. */
export function requireBody(body: unknown): unknown {
  if (body === undefined) throw httpError(400, 'required', 'The request needs a JSON body.');
  return body;
}
