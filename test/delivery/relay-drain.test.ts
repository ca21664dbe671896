import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../../src/adapters/store/sqlite-store';
import type { OutboxRow, Store } from '../../src/app/ports/store-port';
import { openRelayHarness, record, sandboxSearch, type RelayHarness } from './relay-harness';

/**
 * The drain leases the next batch while the current one is pushed (issue 12), and still delivers
 * every row exactly once, never working one resource's lane twice at the same time.
 */

jest.setTimeout(120_000);

const UPDATES = 12;

/**
 * The SQLite store, noting at each lease how many leased rows were still being worked, and
 * counting the reads of the latest version of each resource type and the sizes of the attempt
 * records written together.
 */
function watched(store: Store): {
  store: Store;
  inFlightAtLease: number[];
  latestReads: Map<string, number>;
  batches: number[];
} {
  const inFlightAtLease: number[] = [];
  const latestReads = new Map<string, number>();
  const batches: number[] = [];
  let inFlight = 0;
  const wrapped = Object.create(store) as Store;
  wrapped.getResource = (type, id, version) => {
    if (version === undefined) latestReads.set(type, (latestReads.get(type) ?? 0) + 1);
    return store.getResource(type, id, version);
  };
  wrapped.leaseDue = async (...args: Parameters<Store['leaseDue']>): Promise<OutboxRow[]> => {
    inFlightAtLease.push(inFlight);
    const rows = await store.leaseDue(...args);
    inFlight += rows.length;
    return rows;
  };
  wrapped.completeAttempt = async (...args: Parameters<Store['completeAttempt']>) => {
    const out = await store.completeAttempt(...args);
    inFlight--;
    return out;
  };
  wrapped.completeAttempts = async (entries) => {
    const out = await store.completeAttempts(entries);
    inFlight -= entries.length;
    batches.push(entries.length);
    return out;
  };
  return { store: wrapped, inFlightAtLease, latestReads, batches };
}

let dir: string;
let h: RelayHarness;
let inFlightAtLease: number[];
let latestReads: Map<string, number>;
let batches: number[];
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-relay-drain-'));
  const w = watched(openSqliteStore(path.join(dir, 'kap.db')));
  inFlightAtLease = w.inFlightAtLease;
  latestReads = w.latestReads;
  batches = w.batches;
  h = await openRelayHarness({ store: w.store });
});
afterEach(async () => {
  await h.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function queueUpdates(): Promise<void> {
  await h.run('referral', record('referral-clinician-full.json'), '2026-11-03T09:00:00-08:00');
  await h.run('consent', record('consent-client-full.json'), '2026-11-05T11:00:00-08:00');
  for (let i = 0; i < UPDATES; i++) {
    const update = record('update-all-observations.json', { id: `UPD-DRAIN-${i}`, sessionNumber: 10 + i });
    await h.run('update', update, '2026-11-20T19:00:00-08:00');
  }
  h.clock.set('2026-11-20T19:05:00-08:00');
}

test('rows leased together read each supporting resource once; the ServiceRequest each update is based on is read for every one', async () => {
  await queueUpdates();
  latestReads.clear();
  const auditedBefore = (await h.store.listAudit()).length;
  const summary = await h.relay().drain({ limit: 50 });
  expect(summary).toMatchObject({ leased: UPDATES + 2, delivered: UPDATES + 2 });
  expect(latestReads.get('Patient')).toBe(1);
  expect(latestReads.get('Organization')).toBeLessThanOrEqual(2);
  // Decision input (planBasedOn shows basedOn only while the ServiceRequest may be shown): fresh.
  expect(latestReads.get('ServiceRequest')).toBe(UPDATES);
  // Attempts that finished while another record was written went together.
  expect(Math.max(0, ...batches)).toBeGreaterThan(1);
  // …and each row still has its one attempt and its one disclosure AuditEvent.
  for (const row of await h.store.listOutbox()) expect(await h.store.listAttempts(row.id)).toHaveLength(1);
  expect(await h.store.listAudit()).toHaveLength(auditedBefore + UPDATES + 2);
});

test('small batches: the next is leased while rows of the last are still pushed; each row goes once', async () => {
  await h.run('referral', record('referral-clinician-full.json'), '2026-11-03T09:00:00-08:00');
  await h.run('consent', record('consent-client-full.json'), '2026-11-05T11:00:00-08:00');
  for (let i = 0; i < UPDATES; i++) {
    const update = record('update-all-observations.json', { id: `UPD-DRAIN-${i}`, sessionNumber: 10 + i });
    await h.run('update', update, '2026-11-20T19:00:00-08:00');
  }
  h.clock.set('2026-11-20T19:05:00-08:00');
  const summary = await h.relay({ concurrency: 3 }).drain({ limit: 2 });
  // The ServiceRequest, the Consent and every Communication, each once.
  expect(summary).toMatchObject({ leased: UPDATES + 2, delivered: UPDATES + 2, dead: 0, lost: 0 });
  expect(await sandboxSearch(h, 'Communication')).toHaveLength(UPDATES);
  expect(Math.max(...inFlightAtLease)).toBeGreaterThan(0); // leased ahead of the pushes
  expect(inFlightAtLease.at(-1)).toBe(0); // the last lease, which found nothing, came after all
});
