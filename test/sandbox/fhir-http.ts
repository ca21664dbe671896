/** Small JSON-over-HTTP helpers for the sandbox tests (a real server, real sockets). */
export interface FhirReply {
  status: number;
  headers: Headers;
  body: any;
}

/** Sends a FHIR JSON request and parses the answer (body `undefined` when empty). */
export async function fhir(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<FhirReply> {
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { accept: 'application/fhir+json', 'content-type': 'application/fhir+json', ...init.headers },
    body:
      init.body === undefined
        ? undefined
        : typeof init.body === 'string'
          ? init.body
          : JSON.stringify(init.body),
    redirect: 'manual',
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/** {@link fhir} with `Authorization: Bearer <token>` on every request: the sandbox requires it. */
export function fhirWithToken(token: string): typeof fhir {
  return (url, init = {}) =>
    fhir(url, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
}

/** A Patient with one business identifier. */
export function patient(system: string, value: string, extra: Record<string, unknown> = {}) {
  return { resourceType: 'Patient', identifier: [{ system, value }], ...extra };
}

/** A Communication about `subject`, with one business identifier. */
export function communication(
  system: string,
  value: string,
  subject: string,
  extra: Record<string, unknown> = {},
) {
  return {
    resourceType: 'Communication',
    status: 'completed',
    identifier: [{ system, value }],
    subject: { reference: subject },
    payload: [{ contentString: 'Session summary' }],
    ...extra,
  };
}
