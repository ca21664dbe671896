/**
 * What a FHIR client asks of the answer, read from its headers (R4 http.html#mime-type,
 * http.html#ops, search.html#errors). Pure: both FHIR servers (the sandbox and kap-bridge's own
 * `/fhir`) read these the same way.
 */

/** The media ranges and `_format` values that mean FHIR JSON (http.html#mime-type). */
const JSON_FORMATS = new Set([
  'json',
  'application/json',
  'application/fhir+json',
  'application/json+fhir',
  'text/json',
]);
/** Ranges that accept anything JSON also satisfies. */
const WILDCARDS = new Set(['*/*', 'application/*', 'text/*']);

/**
 * Whether the answer may be FHIR JSON, the only format offered: `_format` (which overrides
 * `Accept`, http.html#mime-type) must name JSON; an `Accept` header, when present, must admit
 * JSON or a wildcard with a non-zero quality. Otherwise the server answers 406.
 */
export function acceptsFhirJson(accept: string | undefined, format: string | undefined): boolean {
  if (format !== undefined) return JSON_FORMATS.has(mediaType(format));
  if (accept === undefined || accept.trim() === '') return true;
  return accept
    .split(',')
    .slice(0, 50) // bound the work on a hostile header
    .some((range) => {
      const [type = '', ...params] = range.split(';');
      const q = params.map((p) => p.trim()).find((p) => p.toLowerCase().startsWith('q='));
      if (q !== undefined && Number(q.slice(2)) === 0) return false;
      const name = mediaType(type);
      return JSON_FORMATS.has(name) || WILDCARDS.has(name);
    });
}

function mediaType(value: string): string {
  return (value.split(';')[0] ?? '').trim().toLowerCase();
}

/** `Prefer: return=…` (http.html#ops) and `Prefer: handling=…` (search.html#errors). */
export interface FhirPreferences {
  return: 'minimal' | 'representation' | 'OperationOutcome';
  handling: 'strict' | 'lenient';
}

/** Reads `Prefer`; defaults: `return=representation`, `handling=lenient`. Unknown tokens are ignored (RFC 7240 §2). */
export function readPrefer(header: string | string[] | undefined): FhirPreferences {
  const out: FhirPreferences = { return: 'representation', handling: 'lenient' };
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  for (const token of text.split(/[,;]/).slice(0, 20)) {
    const [name = '', value = ''] = token.split('=').map((s) => s.trim().replace(/^"|"$/g, ''));
    const key = name.toLowerCase();
    if (
      key === 'return' &&
      (value === 'minimal' || value === 'representation' || value === 'OperationOutcome')
    ) {
      out.return = value;
    } else if (key === 'handling' && (value === 'strict' || value === 'lenient')) {
      out.handling = value;
    }
  }
  return out;
}
