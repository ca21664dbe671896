import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import request from 'supertest';
import { buildService, type BuiltService } from '../../src/bootstrap/service';
import { databaseFingerprint } from '../app/ingest-harness';
import { MemoryLog } from '../http/support/ports';

/**
 * The real service (`buildService`: SQLite file in a temp folder, the real validator and use
 * cases) for tests that throw hostile input at every route. Kicked deliveries are stopped so the
 * database changes only through the request under test: a fingerprint taken before and after a
 * refused request must be equal. The rate limits (per key, per address without one, and for probes) are lifted: a 429 would hide the handlers.
 */

export const KEY = 'trust-edge-key-0123456789abcdef';
export const AUTH = { Authorization: `Bearer ${KEY}` };
/** A key bound to the fixtures' referring organisation (keys file `senders`): replies get past the binding. */
export const BOUND_KEY = 'trust-edge-bound-key-0123456789abcdef';

export interface EdgeHarness {
  svc: BuiltService;
  log: MemoryLog;
  dbFile: string;
  fingerprint(): ReturnType<typeof databaseFingerprint>;
  close(): Promise<void>;
}

export async function openEdgeHarness(): Promise<EdgeHarness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-edge-'));
  const keys = path.join(dir, 'keys.json');
  const scopes = ['ingest', 'validate', 'ops', 'audit'];
  const senders = [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '1497758544' }];
  fs.writeFileSync(
    keys,
    JSON.stringify([
      { name: 'fuzzer', key: KEY, scopes },
      { name: 'bound-fuzzer', key: BOUND_KEY, scopes: ['ingest'], senders },
    ]),
    { mode: 0o600 },
  );
  const dbFile = path.join(dir, 'kap.db');
  const log = new MemoryLog();
  const svc = await buildService(
    {
      DATABASE_URL: `sqlite:${dbFile}`,
      KAP_BRIDGE_API_KEYS: keys,
      KAP_BRIDGE_DATA_DIR: path.join(dir, 'data'),
      KAP_BRIDGE_RATE_LIMIT: '100000000',
      KAP_BRIDGE_ANON_RATE_LIMIT: '100000000',
      KAP_BRIDGE_PROBE_RATE_LIMIT: '100000000',
      LOG_LEVEL: 'info',
    },
    { clock: () => new Date('2026-11-25T10:00:00-08:00'), logDestination: log },
  );
  svc.trigger.stop();
  // A second connection's `data_version` changes only when another connection commits: the full
  // fingerprint is recomputed only then, which keeps thousands of fuzzed requests cheap.
  const watcher = new Database(dbFile, { readonly: true });
  let cached: { version: unknown; value: ReturnType<typeof databaseFingerprint> } | undefined;
  const fingerprint = () => {
    const version = watcher.pragma('data_version', { simple: true });
    if (cached === undefined || cached.version !== version) {
      cached = { version, value: databaseFingerprint(dbFile) };
    }
    return cached.value;
  };
  return {
    svc,
    log,
    dbFile,
    fingerprint,
    close: async () => {
      watcher.close();
      await svc.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One request as the fuzzer and the named cases describe it. */
export interface EdgeRequest {
  method: 'get' | 'post' | 'put' | 'delete' | 'patch';
  path: string;
  body?: Buffer;
  headers?: Record<string, string>;
}

/** Sends `req` as raw bytes (supertest would JSON-encode a Buffer given a JSON content type). */
export function send(h: EdgeHarness, req: EdgeRequest): request.Test {
  const agent = request(h.svc.app);
  const t = agent[req.method](req.path).set(req.headers ?? {});
  return req.body === undefined ? t : t.serialize((b: unknown) => b as string).send(req.body as never);
}

/** True when a response is a FHIR OperationOutcome (the body every error carries). */
export function isOutcome(body: unknown): boolean {
  return (
    typeof body === 'object' &&
    body !== null &&
    (body as { resourceType?: unknown }).resourceType === 'OperationOutcome'
  );
}
