import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createIngestUseCases, type IngestResult, type IngestUseCases } from '../../src/app';
import { createBearerAuth } from '../../src/adapters/destination/auth';
import { createDestinationRegistry, type Destination } from '../../src/adapters/destination/destinations';
import { createFhirGateway } from '../../src/adapters/destination/fhir-gateway';
import { createGuardedHttpClient, type GuardedHttpClient } from '../../src/adapters/destination/http-client';
import { createRelay, type Relay, type RelayConfig } from '../../src/app/deliver/relay';
import { loadProjectProfiles } from '../../src/adapters/fhir-packages/load-package';
import { createValidator } from '../../src/fhir/validator';
import { startFaultProxy, startSandbox, type FaultProxy, type Sandbox } from '../../src/sandbox';
import { openSqliteStore } from '../../src/adapters/store/sqlite-store';
import type { Store } from '../../src/app/ports/store-port';
import type { ResourceValidator } from '../../src/app/ports/validator-port';
import { destination } from './helpers';

/**
 * Real peers for relay tests: the sandbox FHIR server over HTTP with the fault proxy in front of
 * it, a real SQLite file (or a given store), the real ingest use cases and validator, and one
 * injected clock shared by ingest, relay and gateway (time moves only when a test moves it).
 */

const RECORDS = path.join(__dirname, '../../fixtures/records');
export const validator = createValidator({ packages: loadProjectProfiles() });
export const TIME_ZONE = 'America/Los_Angeles';

/** A fixture record with top-level fields replaced. */
export function record(file: string, patch: Record<string, unknown> = {}): unknown {
  return { ...(JSON.parse(fs.readFileSync(path.join(RECORDS, file), 'utf8')) as object), ...patch };
}

export interface RelayHarness {
  sandbox: Sandbox;
  proxy: FaultProxy;
  store: Store;
  ingest: IngestUseCases;
  http: GuardedHttpClient;
  /** `lakeside-ehr` through the proxy (local development flags on). */
  dest: Destination;
  clock: { now: Date; set(iso: string): void; advance(ms: number): void };
  /** A relay of its own (owner); `withValidator` stands in for the validator (e.g. a slow one). */
  relay(over?: Partial<RelayConfig>, destinations?: Destination[], withValidator?: ResourceValidator): Relay;
  /** Ingests and fails the test on a rejection. */
  run(kind: keyof IngestUseCases, input: unknown, at: string): Promise<IngestResult>;
  dispose(): Promise<void>;
}

export async function openRelayHarness(options: { store?: Store } = {}): Promise<RelayHarness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-relay-'));
  const store = options.store ?? openSqliteStore(path.join(dir, 'kap-bridge.db'));
  const sandbox = await startSandbox();
  const proxy = await startFaultProxy({ target: sandbox.url });
  const http = createGuardedHttpClient({ totalTimeoutMs: 5000, connectTimeoutMs: 2000 });
  const clock = {
    now: new Date('2026-11-03T17:00:00Z'),
    set(iso: string) {
      clock.now = new Date(iso);
    },
    advance(ms: number) {
      clock.now = new Date(clock.now.getTime() + ms);
    },
  };
  const ingest = createIngestUseCases({
    store,
    validator,
    clock: () => clock.now,
    timeZone: TIME_ZONE,
    defaultDestinationId: 'lakeside-ehr',
  });
  const dest = destination(proxy.url, { id: 'lakeside-ehr' });
  let owners = 0;
  const relay = (
    over: Partial<RelayConfig> = {},
    destinations: Destination[] = [dest],
    withValidator: ResourceValidator = validator,
  ): Relay =>
    createRelay({
      store,
      gateway: createFhirGateway({
        http,
        authFor: () => createBearerAuth(sandbox.token),
        now: () => clock.now.getTime(),
      }),
      destinations: createDestinationRegistry(destinations),
      validator: withValidator,
      clock: () => clock.now,
      random: () => 0.5,
      config: {
        leaseMs: 60_000,
        retryBaseMs: 2_000,
        maxAttempts: 5,
        timeZone: TIME_ZONE,
        owner: `test-relay-${++owners}`,
        ...over,
      },
    });
  return {
    sandbox,
    proxy,
    store,
    ingest,
    http,
    dest,
    clock,
    relay,
    async run(kind, input, at) {
      clock.set(at);
      const fn = ingest[kind] as (i: unknown) => Promise<IngestResult>;
      const result = await fn(input);
      if (result.status === 'rejected')
        throw new Error(`${kind} rejected: ${JSON.stringify(result.outcome)}`);
      return result;
    },
    async dispose() {
      await http.close();
      await proxy.close();
      await sandbox.close();
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The partial consent of the fixtures' referral: focus and suggestions, not observations or status. */
export const PARTIAL_SHARE = { share: ['session-focus', 'integration-suggestions'] };

/** Referral (11-03), consent (11-05, `consentPatch`), update (11-20 19:00 PST) of fixture client KAP-000123. */
export async function ingestReferralConsentUpdate(
  h: RelayHarness,
  consentPatch: Record<string, unknown> = PARTIAL_SHARE,
): Promise<void> {
  await h.run('referral', record('referral-clinician-full.json'), '2026-11-03T09:00:00-08:00');
  await h.run('consent', record('consent-client-full.json', consentPatch), '2026-11-05T11:00:00-08:00');
  await h.run('update', record('update-all-observations.json'), '2026-11-20T19:00:00-08:00');
}

export const UPDATE_ID = {
  system: 'https://kap-bridge.example/fhir/sid/integration-update',
  value: 'UPD-2026-0042-03',
};
export const CONSENT_ID = { system: 'https://kap-bridge.example/fhir/sid/consent', value: 'CON-2026-0042-1' };

/** Resources of `type` the sandbox holds (read directly, not through the proxy). */
export async function sandboxSearch(
  h: RelayHarness,
  type: string,
  id?: { system: string; value: string },
): Promise<Array<Record<string, unknown>>> {
  const q = id ? `?identifier=${encodeURIComponent(`${id.system}|${id.value}`)}` : '';
  const res = await fetch(`${h.sandbox.url}/${type}${q}`, {
    headers: { authorization: `Bearer ${h.sandbox.token}` },
  });
  const bundle = (await res.json()) as { entry?: Array<{ resource: Record<string, unknown> }> };
  return (bundle.entry ?? []).map((e) => e.resource).filter((r) => r.resourceType === type);
}

/** The writes the proxy saw for a resource type (POST/PUT to it, or inside a transaction). */
export function writesOf(h: RelayHarness, type: string): number {
  return h.proxy.requests.filter(
    (r) =>
      (r.method === 'POST' || r.method === 'PUT') &&
      (r.path.includes(`/${type}`) || r.body.includes(`"${type}"`)),
  ).length;
}
