import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OperationOutcome, Resource } from '@medplum/fhirtypes';
import { errorOutcome } from '../fhir/outcomes';

/** The FHIR JSON media type (R4 http.html#mime-type). */
export const FHIR_JSON = 'application/fhir+json';

/** A request body that could not be accepted, with the status to answer. */
export class BodyError extends Error {
  constructor(
    readonly status: number,
    readonly outcome: OperationOutcome,
  ) {
    super(outcome.issue?.[0]?.details?.text ?? 'invalid body');
  }
}

/**
 * Reads and parses a JSON request body. Empty → undefined; over `limit` bytes → 413; a content
 * type that is not JSON → 415; unparseable → 400 (DESIGN.md §8: 400 for unparseable input).
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const type = req.headers['content-type'];
  const bytes = await readBytes(req, limit);
  if (bytes.length === 0) return undefined;
  if (type !== undefined && !/json/i.test(type)) {
    throw new BodyError(415, errorOutcome('not-supported', `Send ${FHIR_JSON}, not ${type}.`));
  }
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (err) {
    const text = `The body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`;
    throw new BodyError(400, errorOutcome('structure', text));
  }
}

/**
 * Reads the form body of `POST [type]/_search` (R4 http.html#search: "Content-Type
 * application/x-www-form-urlencoded"), as name/value pairs; an empty body has none. Over `limit`
 * bytes → 413; another content type → 415.
 */
export async function readFormBody(req: IncomingMessage, limit: number): Promise<Array<[string, string]>> {
  const type = req.headers['content-type'];
  const bytes = await readBytes(req, limit);
  if (bytes.length === 0) return [];
  if (type === undefined || !/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) {
    const text = 'Send the search parameters as application/x-www-form-urlencoded.';
    throw new BodyError(415, errorOutcome('not-supported', text));
  }
  return [...new URLSearchParams(bytes.toString('utf8'))];
}

async function readBytes(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) {
      throw new BodyError(413, errorOutcome('too-long', `The request body exceeds ${limit} bytes.`));
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** Sends a FHIR JSON body with the given status and extra headers. */
export function sendFhir(
  res: ServerResponse,
  status: number,
  body: Resource | undefined,
  headers: Record<string, string> = {},
): void {
  if (body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': `${FHIR_JSON}; charset=utf-8`,
    'content-length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

/**
 * The version headers of a single resource response (R4 http.html#versioning): `ETag` as a weak
 * validator of the version id, `Last-Modified` from `meta.lastUpdated`, and on a create the
 * `Location` of the new version.
 */
export function versionHeaders(resource: Resource, baseUrl: string, status: number): Record<string, string> {
  const versionId = resource.meta?.versionId;
  if (!versionId || !resource.id || resource.resourceType === 'Bundle') return {};
  const headers: Record<string, string> = { etag: `W/"${versionId}"` };
  if (resource.meta?.lastUpdated)
    headers['last-modified'] = new Date(resource.meta.lastUpdated).toUTCString();
  if (status === 201) {
    headers.location = `${baseUrl}/${resource.resourceType}/${resource.id}/_history/${versionId}`;
  }
  return headers;
}
