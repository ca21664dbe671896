import type { OutboxRow } from '../../src/app/ports/store-port';
import { buildDisclosureLog } from '../../src/audit/disclosure-log';
import { createFhirGateway } from '../../src/adapters/destination/fhir-gateway';
import { createBearerAuth } from '../../src/adapters/destination/auth';
import { createRelay } from '../../src/app/deliver/relay';
import { createDestinationRegistry } from '../../src/adapters/destination/destinations';
import { destination } from './helpers';
import {
  openRelayHarness,
  record,
  sandboxSearch,
  TIME_ZONE,
  UPDATE_ID,
  validator,
  type RelayHarness,
} from './relay-harness';

let h: RelayHarness;
beforeEach(async () => (h = await openRelayHarness()));
afterEach(() => h.dispose());

const MRN = 'KAP-000123';
const POST = { match: { method: 'POST' } };

/** Referral + full consent delivered on 11-05; then the update is ingested on 11-20 at 19:00 PST. */
async function onlyTheUpdateIsDue(): Promise<OutboxRow> {
  await h.run('referral', record('referral-clinician-full.json'), '2026-11-03T09:00:00-08:00');
  await h.run('consent', record('consent-client-full.json'), '2026-11-05T11:00:00-08:00');
  h.clock.set('2026-11-05T11:05:00-08:00');
  expect(await h.relay().drain()).toMatchObject({ delivered: 2 });
  const result = await h.run('update', record('update-all-observations.json'), '2026-11-20T19:00:00-08:00');
  h.proxy.reset();
  const row = result.outbox[0];
  if (!row) throw new Error('update not queued');
  return row;
}

const rowNow = async (id: string) => (await h.store.getOutbox(id))!;

describe('relay under faults between it and the sandbox', () => {
  test('503 three times then success: retry-wait with growing backoff, then delivered once', async () => {
    const row = await onlyTheUpdateIsDue();
    h.proxy.enqueue({ kind: 'status', status: 503 }, { times: 3, ...POST });
    const relay = h.relay();
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      expect(await relay.drain()).toMatchObject({ leased: 1, retried: 1 });
      const r = await rowNow(row.id);
      expect(r.state).toBe('retry-wait');
      delays.push(r.nextAttemptAt!.getTime() - h.clock.now.getTime());
      h.clock.advance(delays[i]! - 1);
      expect(await relay.runOnce()).toMatchObject({ leased: 0 }); // not due a millisecond early
      h.clock.advance(1);
    }
    // Full jitter with random() = 0.5 over bounds 2 s, 4 s, 8 s.
    expect(delays).toEqual([1000, 2000, 4000]);
    expect(await relay.drain()).toMatchObject({ delivered: 1 });
    expect((await rowNow(row.id)).state).toBe('delivered');
    expect(await sandboxSearch(h, 'Communication', UPDATE_ID)).toHaveLength(1);
    const attempts = await h.store.listAttempts(row.id);
    expect(attempts.map((a) => a.result)).toEqual(['retry', 'retry', 'retry', 'delivered']);
    // The destination's answer to each attempt; the success is the transaction Bundle's 200.
    expect(attempts.map((a) => a.httpStatus)).toEqual([503, 503, 503, 200]);
  });

  test('a response lost after the destination committed: the retry finds it there, one copy, and the disclosure log dates it to the first attempt', async () => {
    const row = await onlyTheUpdateIsDue();
    h.proxy.enqueue({ kind: 'drop-response' }, POST);
    h.clock.set('2026-11-20T19:01:00-08:00');
    const firstAttemptAt = h.clock.now.toISOString();
    expect(await h.relay().drain()).toMatchObject({ retried: 1 });
    h.clock.set('2026-11-20T19:30:00-08:00');
    expect(await h.relay().drain()).toMatchObject({ delivered: 1 });
    expect(await sandboxSearch(h, 'Communication', UPDATE_ID)).toHaveLength(1);
    expect((await rowNow(row.id)).deliveredAt?.toISOString()).toBe(firstAttemptAt);
    const log = buildDisclosureLog((await h.store.listAudit({ patientMrn: MRN })).map((a) => a.event));
    const comm = log.filter((e) => e.what[0]?.startsWith('Communication/'));
    expect(comm.map((e) => e.date)).toEqual([firstAttemptAt]);
  });

  test('429 with Retry-After: 120 → the next attempt is not before 120 s, whatever the backoff says', async () => {
    const row = await onlyTheUpdateIsDue();
    h.proxy.enqueue({ kind: 'status', status: 429, retryAfter: 120 }, POST);
    h.clock.set('2026-11-20T19:01:00-08:00');
    const t0 = h.clock.now.getTime();
    expect(await h.relay().drain()).toMatchObject({ retried: 1 });
    expect((await rowNow(row.id)).nextAttemptAt?.getTime()).toBe(t0 + 120_000);
    h.clock.set(new Date(t0 + 119_999).toISOString());
    expect(await h.relay().runOnce()).toMatchObject({ leased: 0 });
    h.clock.set(new Date(t0 + 120_000).toISOString());
    expect(await h.relay().drain()).toMatchObject({ delivered: 1 });
  });

  test('a permanent 400 makes the item dead with the destination OperationOutcome, and the next item still goes', async () => {
    const row = await onlyTheUpdateIsDue();
    const second = await h.run(
      'update',
      record('update-all-observations.json', {
        id: 'UPD-2026-0042-04',
        sessionNumber: 4,
        sessionDate: '2026-11-21',
        writtenAt: '2026-11-21T18:40:00-08:00',
      }),
      '2026-11-21T19:00:00-08:00',
    );
    h.proxy.enqueue(
      {
        kind: 'status',
        status: 400,
        body: {
          resourceType: 'OperationOutcome',
          issue: [{ severity: 'error', code: 'invalid', details: { text: 'rejected by the EHR' } }],
        },
      },
      POST,
    );
    // One at a time, earliest deadline first: the 11-20 update meets the 400.
    expect(await h.relay({ concurrency: 1 }).drain()).toMatchObject({ leased: 2, dead: 1, delivered: 1 });
    const dead = await rowNow(row.id);
    expect(dead.state).toBe('dead');
    expect(dead.attempts).toBe(1);
    expect(JSON.stringify(dead.lastOutcome)).toContain('rejected by the EHR');
    expect((await rowNow(second.outbox[0]!.id)).state).toBe('delivered');
    const failed = (await h.store.listAudit({ patientMrn: MRN })).filter((a) => a.outcome === '8');
    expect(failed).toHaveLength(1);
    expect((await h.store.listAttempts(row.id)).map((a) => a.httpStatus)).toEqual([400]);
  });

  test('a worker killed after the send but before recording it: the lease expires, another relay takes over, one copy on the destination', async () => {
    const row = await onlyTheUpdateIsDue();
    h.clock.set('2026-11-20T19:01:00-08:00');
    const realGateway = createFhirGateway({
      http: h.http,
      authFor: () => createBearerAuth(h.sandbox.token),
      now: () => h.clock.now.getTime(),
    });
    // The worker dies once the send is done: its attempt never ends (a throw would not do — a
    // thrown attempt is recorded as a failed one, DESIGN.md §6).
    let sent!: () => void;
    const pushed = new Promise<void>((resolve) => (sent = resolve));
    const dying = createRelay({
      store: h.store,
      gateway: {
        push: async (dest, unit) => {
          await realGateway.push(dest, unit);
          sent();
          return new Promise<never>(() => undefined);
        },
      },
      destinations: createDestinationRegistry([h.dest]),
      validator,
      clock: () => h.clock.now,
      random: () => 0.5,
      config: {
        leaseMs: 60_000,
        retryBaseMs: 2000,
        maxAttempts: 5,
        timeZone: TIME_ZONE,
        owner: 'dying-worker',
      },
    });
    void dying.runOnce();
    await pushed;
    expect(await sandboxSearch(h, 'Communication', UPDATE_ID)).toHaveLength(1);
    expect(await rowNow(row.id)).toMatchObject({ state: 'in-flight', leaseOwner: 'dying-worker' });

    h.clock.advance(59_999);
    expect(await h.relay().runOnce()).toMatchObject({ leased: 0 }); // lease still held
    h.clock.advance(1);
    expect(await h.relay().drain()).toMatchObject({ leased: 1, delivered: 1 });
    expect(await sandboxSearch(h, 'Communication', UPDATE_ID)).toHaveLength(1);
    // The dead worker's late bookkeeping is refused: its lease is gone.
    const late = await h.store.completeAttempt(
      row.id,
      'dying-worker',
      {
        startedAt: h.clock.now,
        finishedAt: h.clock.now,
        httpStatus: null,
        result: 'delivered',
        outcome: null,
      },
      { state: 'delivered' },
    );
    expect(late).toBeNull();
  });

  test('a redirect is not followed: the item is dead with a reason naming the redirect', async () => {
    const row = await onlyTheUpdateIsDue();
    h.proxy.enqueue({ kind: 'redirect', location: 'https://elsewhere.example/fhir' }, POST);
    expect(await h.relay().drain()).toMatchObject({ dead: 1 });
    const dead = await rowNow(row.id);
    expect(dead.state).toBe('dead');
    expect(JSON.stringify(dead.lastOutcome)).toMatch(/redirect.*never followed/);
    expect(await sandboxSearch(h, 'Communication', UPDATE_ID)).toHaveLength(0);
    expect(h.proxy.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  test('a destination on a loopback address without allowPrivateNetwork is refused with a clear reason, and another destination still receives its items', async () => {
    const blocked = destination(`http://localhost:${h.sandbox.port}/fhir`, {
      id: 'blocked-ehr',
      allowPrivateNetwork: false,
    });
    const blockedReferral = record('referral-clinician-full.json');
    (blockedReferral as { referringClinician: Record<string, unknown> }).referringClinician = {
      ...(blockedReferral as { referringClinician: Record<string, unknown> }).referringClinician,
      destination: 'blocked-ehr',
    };
    await h.run('referral', blockedReferral, '2026-11-03T09:00:00-08:00');
    await h.run('consent', record('consent-client-full.json'), '2026-11-05T11:00:00-08:00');
    await h.run('referral', record('referral-self.json'), '2026-11-09T10:00:00-08:00');
    await h.run('consent', record('consent-partial.json'), '2026-11-10T18:00:00-08:00');
    h.clock.set('2026-11-10T18:05:00-08:00');
    const summary = await h.relay({}, [h.dest, blocked]).drain();
    expect(summary).toMatchObject({ dead: 2, delivered: 1 });
    const blockedRows = await h.store.listOutbox({ destinationId: 'blocked-ehr' });
    expect(blockedRows.map((r) => r.state)).toEqual(['dead', 'dead']);
    for (const r of blockedRows) {
      expect(JSON.stringify(r.lastOutcome)).toMatch(/refused by the URL guard.*(loopback|private)/);
    }
    expect((await h.store.listOutbox({ destinationId: 'lakeside-ehr', state: 'delivered' })).length).toBe(1);
    expect(await sandboxSearch(h, 'Consent')).toHaveLength(1); // only the permitted destination's
  });
});
