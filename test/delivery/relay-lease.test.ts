import type { Resource } from '@medplum/fhirtypes';
import { openRelayHarness, record, sandboxSearch, validator, type RelayHarness } from './relay-harness';

/**
 * A worker slowed or paused past its lease does not push (DESIGN.md §6): by then another worker
 * may hold the row, and the client may have revoked since the attempt decided. Found by
 * `npm run chaos`: a worker stopped (SIGSTOP) between its consent decision and its push pushed
 * 10 s after a revocation, and the push was recorded nowhere.
 */

let h: RelayHarness;
beforeEach(async () => (h = await openRelayHarness()));
afterEach(() => h.dispose());

/** Validates as the real validator does, but the clock moves a lease's length meanwhile. */
const slowerThanTheLease = (leaseMs: number) => ({
  validate(resource: Resource) {
    h.clock.advance(leaseMs);
    return validator.validate(resource);
  },
});

test('when the lease runs out before the push, nothing is sent and the row is left for the next worker, who decides again', async () => {
  await h.run('referral', record('referral-clinician-full.json'), '2026-11-03T09:00:00-08:00');
  await h.run('consent', record('consent-client-full.json'), '2026-11-05T11:00:00-08:00');
  const paused = await h.relay({ leaseMs: 60_000 }, undefined, slowerThanTheLease(60_000)).runOnce();
  expect(paused.leased).toBeGreaterThan(0);
  expect([paused.lost, paused.delivered]).toEqual([paused.leased, 0]);
  expect(await sandboxSearch(h, 'Consent')).toEqual([]);
  expect(await sandboxSearch(h, 'ServiceRequest')).toEqual([]);
  expect(await h.store.listAttempts((await h.store.listOutbox({}))[0]!.id)).toEqual([]);

  // The client revokes meanwhile; the next worker takes the rows over and decides again.
  h.clock.advance(1_000);
  const now = h.clock.now.toISOString();
  await h.run('revocation', record('revocation.json', { revokedAt: now }), now);
  const next = await h.relay().runOnce();
  expect(next.lost).toBe(0);
  expect(next.withheld).toBeGreaterThan(0);
  expect(await sandboxSearch(h, 'ServiceRequest')).toEqual([]);
  // Only the notice that sharing stopped may reach the clinician: their copy is inactive.
  expect((await sandboxSearch(h, 'Consent')).map((c) => c.status)).toEqual(
    (await sandboxSearch(h, 'Consent')).length > 0 ? ['inactive'] : [],
  );
});

test('a lease with time left for the push is used as before', async () => {
  await h.run('referral', record('referral-clinician-full.json'), '2026-11-03T09:00:00-08:00');
  await h.run('consent', record('consent-client-full.json'), '2026-11-05T11:00:00-08:00');
  const summary = await h.relay({ leaseMs: 60_000 }, undefined, slowerThanTheLease(1_000)).runOnce();
  expect([summary.lost, summary.delivered]).toEqual([0, summary.leased]);
});
