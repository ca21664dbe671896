// The dashboard reads the same HTTP API as every other caller (DESIGN.md §8), with the key the
// person signed in with. The key lives in sessionStorage only: never in a URL, a cookie or
// localStorage, and gone when the tab closes.

const STORAGE_KEY = 'kap-bridge.api-key';

export function savedKey() {
  return sessionStorage.getItem(STORAGE_KEY);
}

export function saveKey(key) {
  sessionStorage.setItem(STORAGE_KEY, key);
}

export function forgetKey() {
  sessionStorage.removeItem(STORAGE_KEY);
}

/** An API error: the HTTP status and the OperationOutcome's text (every error carries one). */
export class ApiError extends Error {
  constructor(status, text) {
    super(text);
    this.status = status;
  }
}

/** GET (or POST) `path` with the saved key (or `key`); resolves with the JSON body of a 2xx. */
export async function api(path, { method = 'GET', key = savedKey() } = {}) {
  const res = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${key ?? ''}`, Accept: 'application/json' },
    credentials: 'omit',
    cache: 'no-store',
  });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, outcomeText(body) || `The server answered ${res.status}.`);
  return body;
}

/** The readable text of an OperationOutcome: each issue's details.text, else its diagnostics. */
export function outcomeText(outcome) {
  const issues = Array.isArray(outcome?.issue) ? outcome.issue : [];
  return issues
    .map((i) => i?.details?.text || i?.diagnostics || '')
    .filter(Boolean)
    .join(' ');
}
