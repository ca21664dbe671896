import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startService, type RunningService } from '../../src/bootstrap/service';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { MemoryLog } from '../http/support/ports';

/**
 * The two FHIR servers under test, each started for real on a loopback port: the sandbox
 * (medplum FhirRouter + SandboxRepository) and kap-bridge's own service (SQLite in a temp
 * folder, the real validator and use cases, `/fhir` on express). Integrators point their own
 * clients at exactly these URLs (README "For integrators").
 */

export const API_KEY = 'integrator-conformance-key-0123456789';

// fhir-kit-client 1.9 is CommonJS without types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const FhirKitClient = require('fhir-kit-client') as new (config: {
  baseUrl: string;
  customHeaders?: Record<string, string>;
}) => FhirClient;

/** The part of fhir-kit-client's API the suite uses (lib/client.js). */
export interface FhirClient {
  capabilityStatement(): Promise<any>;
  read(p: { resourceType: string; id: string }): Promise<any>;
  create(p: {
    resourceType: string;
    body: unknown;
    options?: { headers?: Record<string, string> };
  }): Promise<any>;
  update(p: { resourceType: string; id: string; body: unknown }): Promise<any>;
  delete(p: { resourceType: string; id: string }): Promise<any>;
  search(p: {
    resourceType: string;
    searchParams: Record<string, string | number>;
    options?: { postSearch?: boolean; headers?: Record<string, string> };
  }): Promise<any>;
  nextPage(p: { bundle: unknown }): Promise<any> | undefined;
  transaction(p: { body: unknown }): Promise<any>;
  batch(p: { body: unknown }): Promise<any>;
  operation(p: { name: string; resourceType?: string; method?: string; input?: unknown }): Promise<any>;
}

/** fhir-kit-client's client for `baseUrl`, sending `Authorization: Bearer <token>` on every request. */
export function fhirClient(baseUrl: string, token: string): FhirClient {
  return new FhirKitClient({ baseUrl, customHeaders: { Authorization: `Bearer ${token}` } });
}

/** A started sandbox and a fhir-kit-client pointed at it. */
export interface SandboxUnderTest {
  sandbox: Sandbox;
  client: FhirClient;
  /** Raw HTTP with the sandbox's token, for exact headers. */
  http(pathAndQuery: string, init?: RequestInit): Promise<Response>;
}

export async function startSandboxUnderTest(): Promise<SandboxUnderTest> {
  const sandbox = await startSandbox({ port: 0 });
  return {
    sandbox,
    client: fhirClient(sandbox.url, sandbox.token),
    http: (p, init = {}) => fetch(`${sandbox.url}${p}`, withAuth(init, sandbox.token)),
  };
}

/** kap-bridge's service and a fhir-kit-client pointed at its `/fhir`. */
export interface KapBridgeUnderTest {
  service: RunningService;
  /** `http://127.0.0.1:<port>/fhir` */
  fhirBase: string;
  client: FhirClient;
  http(pathAndQuery: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export async function startKapBridgeUnderTest(): Promise<KapBridgeUnderTest> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-rest-'));
  const keys = path.join(dir, 'keys.json');
  const scopes = ['ingest', 'validate', 'ops', 'audit'];
  fs.writeFileSync(keys, JSON.stringify([{ name: 'integrator', key: API_KEY, scopes }]), { mode: 0o600 });
  const service = await startService(
    {
      DATABASE_URL: `sqlite:${path.join(dir, 'kap.db')}`,
      KAP_BRIDGE_API_KEYS: keys,
      KAP_BRIDGE_DATA_DIR: path.join(dir, 'data'),
      HOST: '127.0.0.1',
      PORT: '0',
      KAP_BRIDGE_RATE_LIMIT: '100000',
      KAP_BRIDGE_ANON_RATE_LIMIT: '100000',
      LOG_LEVEL: 'silent',
    },
    { logDestination: new MemoryLog() },
  );
  const fhirBase = `${service.url}/fhir`;
  return {
    service,
    fhirBase,
    client: fhirClient(fhirBase, API_KEY),
    http: (p, init = {}) => fetch(`${fhirBase}${p}`, withAuth(init, API_KEY)),
    close: async () => {
      await service.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function withAuth(init: RequestInit, token: string): RequestInit {
  const headers = new Headers(init.headers);
  if (!headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
  if (init.body !== undefined && !headers.has('content-type'))
    headers.set('content-type', 'application/fhir+json');
  return { ...init, headers };
}

/** The error fhir-kit-client throws for a non-2xx answer: `{ response: { status, data } }`. */
export async function failureOf(p: Promise<unknown>): Promise<{ status: number; data: any }> {
  try {
    await p;
  } catch (err) {
    const response = (err as { response?: { status: number; data: unknown } }).response;
    if (response) return { status: response.status, data: response.data };
    throw err;
  }
  throw new Error('expected the request to fail');
}

/** The `expression` values of an OperationOutcome's issues. */
export function expressionsOf(outcome: any): string[] {
  return (outcome?.issue ?? []).flatMap((i: { expression?: string[] }) => i.expression ?? []);
}
