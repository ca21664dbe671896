import type { AuditEvent, Communication, OperationOutcome } from '@medplum/fhirtypes';
import { OUTBOX_STATES } from '../../src/outbox';
import type { NewDeliveryAttempt, NewOutboxRow, OutboxRow, Store } from '../../src/app/ports/store-port';

/**
 * The store contract (DESIGN.md §7): one suite, run against every adapter. A harness opens fresh,
 * empty databases; `open()` on the same harness opens a second store (a second connection) on the
 * same database.
 */
export interface StoreHarness {
  open(): Promise<Store>;
  dispose(): Promise<void>;
}

const T0 = new Date('2026-11-20T18:00:00.000Z');
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * 60_000);
const oo = (text: string): OperationOutcome => ({
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'error', code: 'transient', details: { text } }],
});

function communication(id: string): Communication & { id: string } {
  return { resourceType: 'Communication', id, status: 'completed', subject: { reference: 'Patient/p1' } };
}

function item(n: number, over: Partial<NewOutboxRow> = {}): NewOutboxRow {
  return {
    itemKey: `dest-a|Communication/c${n}|1`,
    destinationId: 'dest-a',
    patientMrn: 'KAP-000001',
    recipientNpi: '1234567893',
    resourceType: 'Communication',
    resourceId: `c${n}`,
    resourceVersion: 1,
    state: 'queued',
    deadline: null,
    consentRef: 'Consent/con-1/_history/1',
    ...over,
  };
}

/** Stores the Communication an outbox row points to (the outbox references resource versions). */
async function seed(store: Store, n: number, over: Partial<NewOutboxRow> = {}, now = T0) {
  await store.putResource(communication(`c${n}`), 'KAP-000001', now);
  return (await store.enqueue(item(n, over), now)).row;
}

/*
 * Refusals are checked by message, not with `rejects.toThrow()`: better-sqlite3's native addon
 * keeps the SqliteError class of the first test file that loaded it, so in a later file of the
 * same jest worker its errors are not `instanceof Error` and `toThrow` reports "did not throw".
 */

export function runStoreContract(name: string, makeHarness: () => Promise<StoreHarness>): void {
  describe(`store contract: ${name}`, () => {
    let harness: StoreHarness;
    let store: Store;
    beforeEach(async () => {
      harness = await makeHarness();
      store = await harness.open();
    });
    afterEach(async () => {
      await store.close();
      await harness.dispose();
    });

    test('a record stored twice under one id keeps both versions and returns the latest', async () => {
      const base = { kind: 'referral' as const, id: 'REF-1', patientMrn: 'KAP-1', receivedAt: T0 };
      const v1 = await store.putRecord({ ...base, contentHash: 'h1', json: { a: 1 } });
      const v2 = await store.putRecord({ ...base, contentHash: 'h2', json: { a: 2 } });
      await store.putRecord({ ...base, id: 'REF-2', patientMrn: 'KAP-2', contentHash: 'h3', json: {} });
      expect([v1.version, v2.version]).toEqual([1, 2]);
      const latest = await store.getRecord('referral', 'REF-1');
      expect(latest).toMatchObject({ version: 2, contentHash: 'h2', json: { a: 2 }, patientMrn: 'KAP-1' });
      expect(latest?.receivedAt.toISOString()).toBe(T0.toISOString());
      expect(await store.getRecord('consent', 'REF-1')).toBeNull();
      const forPatient = await store.listRecords({ kind: 'referral', patientMrn: 'KAP-1' });
      expect(forPatient.map((r) => [r.id, r.version])).toEqual([['REF-1', 2]]);
    });

    test('referrals are found by their client: referrer patient id, MRN or birth date, latest versions only', async () => {
      const pid = { system: 'https://ehr.example/patients', value: '88231' };
      const referral = (id: string, mrn: string, client: object, hash = id) =>
        store.putRecord({
          kind: 'referral',
          id,
          patientMrn: mrn,
          receivedAt: T0,
          contentHash: hash,
          json: { id, client: { mrn, ...client } },
        });
      await referral('REF-1', 'KAP-000001', { birthDate: '1986-04-12', referrerPatientId: pid });
      await referral('REF-2', 'KAP-000002', { birthDate: '1986-04-12' });
      await referral('REF-3', 'KAP-000003', { birthDate: '1990-01-01', referrerPatientId: pid }, 'v1');
      // Version 2 of REF-3 no longer carries the id nor that birth date: only latest versions count.
      await referral('REF-3', 'KAP-000003', { birthDate: '1991-02-02' }, 'v2');
      await referral('REF-4', 'KAP-000004', {
        referrerPatientId: { ...pid, system: 'https://other.example' },
      });
      await store.putRecord({
        kind: 'consent',
        id: 'CON-1',
        patientMrn: 'KAP-000002',
        receivedAt: T0,
        contentHash: 'c',
        json: { client: { birthDate: '1986-04-12' } },
      });
      const ids = async (lookup: Parameters<Store['findReferrals']>[0]) =>
        (await store.findReferrals(lookup)).map((r) => `${r.id}@${r.version}`);
      expect(await ids({ referrerPatientId: pid })).toEqual(['REF-1@1']);
      expect(await ids({ birthDate: '1986-04-12' })).toEqual(['REF-1@1', 'REF-2@1']);
      expect(await ids({ birthDate: '1990-01-01' })).toEqual([]);
      expect(await ids({ patientMrn: 'KAP-000003' })).toEqual(['REF-3@2']);
      expect(await store.transaction((tx) => tx.findReferrals({ birthDate: '1991-02-02' }))).toHaveLength(1);
    });

    test('a counter raised to a number hands out only numbers above it, and is never lowered', async () => {
      await store.raiseSequence('mrn', 41);
      expect(await store.nextInSequence('mrn', 0)).toBe(42);
      await store.raiseSequence('mrn', 7);
      expect(await store.transaction((tx) => tx.nextInSequence('mrn', 0))).toBe(43);
      await store.transaction((tx) => tx.raiseSequence('mrn', 99));
      expect(await store.nextInSequence('mrn', 0)).toBe(100);
    });

    test('a resource stored twice keeps every version with meta.versionId and lastUpdated set', async () => {
      const v1 = await store.putResource(communication('c1'), 'KAP-1', T0);
      const v2 = await store.putResource(
        { ...communication('c1'), status: 'entered-in-error' },
        'KAP-1',
        at(5),
      );
      expect([v1.versionId, v2.versionId]).toEqual([1, 2]);
      expect(v2.resource.meta).toEqual({ versionId: '2', lastUpdated: at(5).toISOString() });
      expect((await store.getResource('Communication', 'c1'))?.resource).toMatchObject({
        status: 'entered-in-error',
      });
      expect((await store.getResource('Communication', 'c1', 1))?.resource).toMatchObject({
        status: 'completed',
      });
      await store.putResource(communication('c2'), 'KAP-2', T0);
      const listed = await store.listResources({ resourceType: 'Communication', patientMrn: 'KAP-1' });
      expect(listed.map((r) => [r.id, r.versionId])).toEqual([['c1', 2]]);
    });

    test('enqueueing the same item key twice creates one row', async () => {
      const first = await seed(store, 1);
      const again = await store.enqueue(item(1), at(1));
      expect(again.created).toBe(false);
      expect(again.row.id).toBe(first.id);
      expect(await store.listOutbox()).toHaveLength(1);
    });

    test('an outbox row for a resource version that was never stored is refused', async () => {
      await expect(store.enqueue(item(9), T0)).rejects.toHaveProperty(
        'message',
        expect.stringMatching(/foreign key/i),
      );
      expect(await store.listOutbox()).toHaveLength(0);
    });

    test('when the unit of work throws, neither record, resource nor outbox row is kept', async () => {
      await expect(
        store.transaction(async (tx) => {
          await tx.putRecord({
            kind: 'update',
            id: 'U1',
            contentHash: 'h',
            json: {},
            patientMrn: 'K',
            receivedAt: T0,
          });
          await tx.putResource(communication('c1'), 'K', T0);
          await tx.enqueue(item(1), T0);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store.getRecord('update', 'U1')).toBeNull();
      expect(await store.getResource('Communication', 'c1')).toBeNull();
      expect(await store.listOutbox()).toHaveLength(0);
    });

    test('a committed unit of work keeps everything it wrote', async () => {
      const n = await store.transaction(async (tx) => {
        await tx.putRecord({
          kind: 'update',
          id: 'U1',
          contentHash: 'h',
          json: {},
          patientMrn: 'K',
          receivedAt: T0,
        });
        await tx.putResource(communication('c1'), 'K', T0);
        await tx.putResource(communication('c1'), 'K', T0);
        await tx.enqueue(item(1, { resourceVersion: 2 }), T0);
        return (await tx.listOutbox()).length;
      });
      expect(n).toBe(1);
      expect((await store.getResource('Communication', 'c1'))?.versionId).toBe(2);
      expect(await store.listOutbox({ state: 'queued' })).toHaveLength(1);
    });

    test('units of work run each on their own, in order: each sees the ones before it, one that throws is rolled back alone', async () => {
      const update = (id: string) => ({
        kind: 'update' as const,
        id,
        contentHash: 'h',
        json: {},
        patientMrn: 'K',
        receivedAt: T0,
      });
      const outcomes = await store.transactionEach([
        async (tx) => (await tx.putRecord(update('E1'))).version,
        async (tx) => {
          await tx.putRecord(update('E2'));
          await tx.nextInSequence('mrn', 0);
          throw new Error('entry 2 refused');
        },
        async (tx) => {
          const seen = (await tx.getRecord('update', 'E1')) !== null;
          const n = await tx.nextInSequence('mrn', 0);
          await tx.putRecord(update('E3'));
          return seen ? n : -1;
        },
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(outcomes[0]).toEqual({ status: 'fulfilled', value: 1 });
      expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: { message: 'entry 2 refused' } });
      // The third saw the first's record, and the number the second took was given back.
      expect(outcomes[2]).toEqual({ status: 'fulfilled', value: 1 });
      expect(await store.getRecord('update', 'E2')).toBeNull();
      expect(await store.getRecord('update', 'E3')).not.toBeNull();
      expect(await store.transactionEach([])).toEqual([]);
    });

    test('a counter hands out increasing numbers above the floor given; a rolled-back number is given again', async () => {
      expect(await store.nextInSequence('mrn', 0)).toBe(1);
      expect(await store.nextInSequence('mrn', 0)).toBe(2);
      expect(await store.nextInSequence('mrn', 130)).toBe(131);
      expect(await store.nextInSequence('mrn', 5)).toBe(132);
      expect(await store.nextInSequence('other', 0)).toBe(1);
      await expect(
        store.transaction(async (tx) => {
          expect(await tx.nextInSequence('mrn', 0)).toBe(133);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store.transaction((tx) => tx.nextInSequence('mrn', 0))).toBe(133);
    });

    test('transactions taking numbers of one counter at the same time never get the same number', async () => {
      const taken = await Promise.all(
        Array.from({ length: 20 }, () => store.transaction((tx) => tx.nextInSequence('mrn', 0))),
      );
      expect([...taken].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    });

    test('the outbox is counted per state, every state named, and at-risk rows are the undelivered ones closing within the window', async () => {
      const empty = await store.countOutboxByState();
      expect(Object.values(empty).every((n) => n === 0)).toBe(true);
      expect(Object.keys(empty).sort()).toEqual([...OUTBOX_STATES].sort());
      const now = at(0);
      const hours = (h: number) => at(h * 60);
      await seed(store, 1, { state: 'queued', deadline: hours(2) }); // at risk
      await seed(store, 2, { state: 'awaiting-consent', deadline: hours(23.9) }); // at risk
      await seed(store, 3, { state: 'dead', deadline: now }); // at risk: closes this instant
      await seed(store, 4, { state: 'queued', deadline: hours(24) }); // a full day left: open
      await seed(store, 5, { state: 'queued', deadline: hours(-1) }); // late, not at risk
      await seed(store, 6, { state: 'withheld', deadline: hours(1) }); // will not be sent
      await seed(store, 7, { state: 'cancelled', deadline: hours(1) });
      await seed(store, 8, { state: 'queued', deadline: null }); // no window
      const delivered = await seed(store, 9, { state: 'queued', deadline: hours(1) });
      await store.transitionOutbox(delivered.id, ['queued'], { state: 'delivered' }, now);
      expect(await store.countOutboxByState()).toEqual({
        'awaiting-consent': 1,
        queued: 4,
        'in-flight': 0,
        delivered: 1,
        withheld: 1,
        'retry-wait': 0,
        dead: 1,
        cancelled: 1,
      });
      expect(await store.countOutboxAtRisk(now, 24 * 3_600_000)).toBe(3);
      expect(await store.countOutboxAtRisk(now, 3 * 3_600_000)).toBe(2);
    });

    test('leasing takes due rows earliest deadline first, nulls last, and marks them in flight', async () => {
      await seed(store, 1, { deadline: null }, at(0));
      await seed(store, 2, { deadline: at(3000) }, at(1));
      await seed(store, 3, { deadline: at(1000) }, at(2));
      await seed(store, 4, { state: 'retry-wait', nextAttemptAt: at(5) }, at(3));
      await seed(store, 5, { state: 'retry-wait', nextAttemptAt: at(500) }, at(4));
      await seed(store, 6, { state: 'awaiting-consent' }, at(5));
      await seed(store, 7, { state: 'withheld' }, at(6));
      const leased = await store.leaseDue(at(10), 10, 'w1', 30_000);
      expect(leased.map((r) => r.resourceId)).toEqual(['c3', 'c2', 'c1', 'c4']);
      expect(leased.every((r) => r.state === 'in-flight' && r.leaseOwner === 'w1')).toBe(true);
      expect(leased[0]?.leaseUntil?.toISOString()).toBe(new Date(at(10).getTime() + 30_000).toISOString());
      expect(await store.leaseDue(at(10), 10, 'w2', 30_000)).toEqual([]);
      expect((await store.leaseDue(at(10), 1, 'w2', 30_000)).length).toBe(0);
    });

    test('leasing honours the limit', async () => {
      for (let n = 1; n <= 5; n++) await seed(store, n, {}, at(n));
      expect((await store.leaseDue(at(10), 2, 'w1', 1000)).map((r) => r.resourceId)).toEqual(['c1', 'c2']);
    });

    test('an expired lease is taken over and the old owner can no longer update the row', async () => {
      const row = await seed(store, 1);
      await store.leaseDue(at(1), 10, 'crashed', 60_000);
      expect(await store.leaseDue(at(1.5), 10, 'w2', 60_000)).toEqual([]);
      const taken = await store.leaseDue(at(2), 10, 'w2', 60_000);
      expect(taken.map((r) => [r.id, r.leaseOwner])).toEqual([[row.id, 'w2']]);
      expect(await store.updateOutboxState(row.id, 'crashed', { state: 'delivered' }, at(2))).toBeNull();
      const mine = await store.updateOutboxState(row.id, 'w2', { late: true }, at(2));
      expect(mine).toMatchObject({ state: 'in-flight', late: true, leaseOwner: 'w2' });
    });

    test('completing an attempt records it, counts it and releases the lease; a stranger cannot', async () => {
      const row = await seed(store, 1);
      await store.leaseDue(at(1), 1, 'w1', 60_000);
      const attempt: NewDeliveryAttempt = {
        startedAt: at(1),
        finishedAt: at(1.1),
        httpStatus: 503,
        result: 'retry',
        outcome: oo('busy'),
      };
      expect(await store.completeAttempt(row.id, 'w2', attempt, { state: 'delivered' })).toBeNull();
      expect(await store.listAttempts(row.id)).toHaveLength(0);
      const done = await store.completeAttempt(row.id, 'w1', attempt, {
        state: 'retry-wait',
        nextAttemptAt: at(3),
        lastOutcome: oo('busy'),
      });
      expect(done?.row).toMatchObject({
        state: 'retry-wait',
        attempts: 1,
        leaseOwner: null,
        leaseUntil: null,
      });
      expect(done?.row.lastOutcome).toEqual(oo('busy'));
      expect(done?.attempt).toMatchObject({ attemptNo: 1, httpStatus: 503, result: 'retry' });
      expect(await store.leaseDue(at(2), 1, 'w1', 60_000)).toEqual([]);
      const again = await store.leaseDue(at(3), 1, 'w1', 60_000);
      await store.completeAttempt(
        row.id,
        'w1',
        { ...attempt, httpStatus: 201, result: 'delivered' },
        {
          state: 'delivered',
          deliveredAt: at(3),
        },
      );
      expect(again).toHaveLength(1);
      const attempts = await store.listAttempts(row.id);
      expect(attempts.map((a) => [a.attemptNo, a.httpStatus])).toEqual([
        [1, 503],
        [2, 201],
      ]);
      expect(await store.getOutbox(row.id)).toMatchObject({ state: 'delivered', attempts: 2 });
    });

    test("an attempt's AuditEvent is written with it, from the updated row; a lost lease writes neither", async () => {
      const row = await seed(store, 1);
      await store.leaseDue(at(1), 1, 'w1', 60_000);
      const attempt: NewDeliveryAttempt = {
        startedAt: at(1),
        finishedAt: at(1.1),
        httpStatus: 201,
        result: 'delivered',
        outcome: null,
      };
      const audit = (r: OutboxRow): AuditEvent => ({
        resourceType: 'AuditEvent',
        id: `audit-${r.id}-${r.attempts}`,
        type: { code: '110106' },
        recorded: at(1.1).toISOString(),
        agent: [{ requestor: false }],
        source: { observer: { display: `late=${r.late}` } },
      });
      expect(
        await store.completeAttempt(row.id, 'stranger', attempt, { state: 'delivered' }, audit),
      ).toBeNull();
      expect(await store.listAudit({ patientMrn: row.patientMrn })).toHaveLength(0);
      await store.completeAttempt(row.id, 'w1', attempt, { state: 'delivered', late: true }, audit);
      const events = await store.listAudit({ patientMrn: row.patientMrn });
      expect(events.map((e) => [e.id, e.event.source?.observer?.display])).toEqual([
        [`audit-${row.id}-1`, 'late=true'],
      ]);
    });

    test('attempts completed together: each as alone, a lost lease answered null and writing nothing; a throw keeps none', async () => {
      const rows = [await seed(store, 1), await seed(store, 2), await seed(store, 3)];
      await store.leaseDue(at(1), 3, 'w1', 60_000);
      const attempt: NewDeliveryAttempt = {
        startedAt: at(1),
        finishedAt: at(1.1),
        httpStatus: 201,
        result: 'delivered',
        outcome: null,
      };
      const audit = (r: OutboxRow): AuditEvent => ({
        resourceType: 'AuditEvent',
        id: `audit-${r.id}`,
        type: { code: '110106' },
        recorded: at(1.1).toISOString(),
        agent: [{ requestor: false }],
        source: { observer: { display: r.resourceId } },
      });
      const [a, b, c] = rows as [OutboxRow, OutboxRow, OutboxRow];
      const throwing = (): AuditEvent => {
        throw new Error('audit cannot be built');
      };
      await expect(
        store.completeAttempts([
          { id: a.id, owner: 'w1', attempt, patch: { state: 'delivered' }, audit },
          { id: c.id, owner: 'w1', attempt, patch: { state: 'delivered' }, audit: throwing },
        ]),
      ).rejects.toThrow('audit cannot be built');
      expect(await store.listAttempts(a.id)).toHaveLength(0);
      expect(await store.getOutbox(a.id)).toMatchObject({ state: 'in-flight', leaseOwner: 'w1' });
      const done = await store.completeAttempts([
        { id: a.id, owner: 'w1', attempt, patch: { state: 'delivered' }, audit },
        { id: b.id, owner: 'stranger', attempt, patch: { state: 'delivered' }, audit },
        {
          id: c.id,
          owner: 'w1',
          attempt: { ...attempt, httpStatus: 503, result: 'retry' },
          patch: { state: 'retry-wait', nextAttemptAt: at(3) },
        },
      ]);
      expect(done.map((d) => d && [d.row.id, d.row.state, d.row.attempts, d.attempt.attemptNo])).toEqual([
        [a.id, 'delivered', 1, 1],
        null,
        [c.id, 'retry-wait', 1, 1],
      ]);
      expect(await store.getOutbox(b.id)).toMatchObject({
        state: 'in-flight',
        attempts: 0,
        leaseOwner: 'w1',
      });
      expect(await store.listAttempts(b.id)).toHaveLength(0);
      const events = await store.listAudit();
      expect(events.map((e) => e.id)).toEqual([`audit-${a.id}`]);
    });

    test('an operator retry queues a dead row again, and replay queues a delivered one', async () => {
      const dead = await seed(store, 1, { state: 'dead' });
      const delivered = await seed(store, 2, { state: 'delivered' });
      const fine = await seed(store, 3, { state: 'in-flight' });
      expect(await store.retryOutbox(dead.id, at(1))).toMatchObject({ state: 'queued', attempts: 0 });
      expect(await store.retryOutbox(delivered.id, at(1))).toBeNull();
      expect(await store.retryOutbox(fine.id, at(1))).toBeNull();
      expect(await store.replayOutbox(delivered.id, at(1))).toMatchObject({
        state: 'queued',
        deliveredAt: null,
      });
    });

    test('a destination retry queues only that destination’s retryable rows', async () => {
      await seed(store, 1, { state: 'dead' });
      await seed(store, 2, { state: 'retry-wait', nextAttemptAt: at(100) });
      await seed(store, 3, { state: 'dead', destinationId: 'dest-b', itemKey: 'dest-b|c3' });
      await seed(store, 4, { state: 'delivered' });
      const queued = await store.retryDestination('dest-a', at(1));
      expect(queued.map((r) => r.resourceId).sort()).toEqual(['c1', 'c2']);
      expect((await store.listOutbox({ destinationId: 'dest-b' }))[0]?.state).toBe('dead');
    });

    test('rows awaiting consent are listed per client and move only from the expected state', async () => {
      const waiting = await seed(store, 1, { state: 'awaiting-consent', consentRef: null });
      await seed(store, 2, { state: 'awaiting-consent', patientMrn: 'KAP-OTHER' });
      await seed(store, 3, { state: 'queued' });
      expect(
        (await store.listOutbox({ state: 'awaiting-consent', patientMrn: 'KAP-000001' })).map((r) => r.id),
      ).toEqual([waiting.id]);
      const moved = await store.transitionOutbox(
        waiting.id,
        ['awaiting-consent'],
        { state: 'queued', consentRef: 'Consent/x/_history/1' },
        at(1),
      );
      expect(moved).toMatchObject({ state: 'queued', consentRef: 'Consent/x/_history/1' });
      expect(
        await store.transitionOutbox(waiting.id, ['awaiting-consent'], { state: 'withheld' }, at(2)),
      ).toBeNull();
      expect(await store.listOutbox({ state: 'queued', patientMrn: 'KAP-000001' })).toHaveLength(2);
    });

    test('audit events are appended and listed by patient, time and outcome', async () => {
      const ev = (id: string, minutes: number, outcome: AuditEvent['outcome']): AuditEvent => ({
        resourceType: 'AuditEvent',
        id,
        type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110106' },
        recorded: at(minutes).toISOString(),
        outcome,
        agent: [{ requestor: true }],
        source: { observer: { display: 'kap-bridge' } },
      });
      await store.appendAudit(ev('a1', 1, '0'), 'KAP-1');
      await store.appendAudit(ev('a2', 2, '4'), 'KAP-1');
      await store.appendAudit(ev('a3', 3, '0'), 'KAP-2');
      expect((await store.listAudit({ patientMrn: 'KAP-1' })).map((a) => a.id)).toEqual(['a1', 'a2']);
      expect((await store.listAudit({ since: at(2) })).map((a) => a.id)).toEqual(['a2', 'a3']);
      expect((await store.listAudit({ outcome: '4' })).map((a) => a.event.id)).toEqual(['a2']);
      await expect(store.appendAudit(ev('a1', 4, '0'), 'KAP-1')).rejects.toHaveProperty(
        'message',
        expect.stringMatching(/unique|duplicate key/i),
      );
    });

    test('two stores leasing at the same time never get the same row', async () => {
      const other = await harness.open();
      try {
        for (let n = 1; n <= 40; n++) await seed(store, n, {}, at(n));
        const rounds = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            (i % 2 === 0 ? store : other).leaseDue(at(100), 5, `w${i}`, 60_000),
          ),
        );
        const ids = rounds.flat().map((r) => r.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids).toHaveLength(40);
      } finally {
        await other.close();
      }
    });

    test('what one store commits, a store opened later reads back', async () => {
      await seed(store, 1);
      await store.close();
      store = await harness.open();
      expect(await store.listOutbox()).toHaveLength(1);
    });

    test('a reply is stored once per source key, listed per referral or as unlinked, oldest first', async () => {
      const reply = (id: string, referralId: string | null, minutes: number) => ({
        sourceKey: `pull|lakeside|${id}`,
        channel: 'pull' as const,
        origin: 'lakeside',
        referralId,
        patientMrn: referralId ? 'KAP-000001' : null,
        inReplyTo: referralId ? 'Communication/update-U1' : null,
        receivedAt: at(minutes),
        communication: { ...communication(id), payload: [{ contentString: `reply ${id}` }] },
      });
      const first = await store.putInboundMessage(reply('r2', 'REF-1', 2));
      expect(first.created).toBe(true);
      await store.putInboundMessage(reply('r1', 'REF-1', 1));
      await store.putInboundMessage(reply('r3', null, 3));
      const again = await store.putInboundMessage({ ...reply('r2', 'REF-1', 9), origin: 'other' });
      expect(again).toEqual({ message: first.message, created: false });
      const linked = await store.listInboundMessages({ referralId: 'REF-1' });
      expect(linked.map((m) => m.communication.id)).toEqual(['r1', 'r2']);
      expect(linked[1]).toEqual({
        ...reply('r2', 'REF-1', 2),
        id: first.message.id,
        handledAt: null,
        handledBy: null,
      });
      expect((await store.listInboundMessages({ unlinked: true })).map((m) => m.communication.id)).toEqual([
        'r3',
      ]);
      expect(await store.listInboundMessages({ referralId: 'REF-2' })).toEqual([]);
    });

    test('a reply is marked handled once: the first mark stays, an unknown id gives null', async () => {
      const { message } = await store.putInboundMessage({
        sourceKey: 'id|https://ehr.example/sid/msg|M1',
        channel: 'push',
        origin: 'lakeside-key',
        referralId: 'REF-1',
        patientMrn: 'KAP-000001',
        inReplyTo: 'ServiceRequest/referral-REF-1',
        receivedAt: at(0),
        communication: communication('m1'),
      });
      const handled = await store.markInboundHandled(message.id, 'front desk', at(5));
      expect(handled).toMatchObject({ handledAt: at(5), handledBy: 'front desk' });
      expect(await store.markInboundHandled(message.id, 'someone else', at(9))).toMatchObject({
        handledAt: at(5),
        handledBy: 'front desk',
      });
      expect(await store.markInboundHandled('no-such-reply', 'x', at(9))).toBeNull();
      expect(await store.getInboundMessage('no-such-reply')).toBeNull();
    });

    test('the reply watermark is kept per destination as given and replaced by the next one', async () => {
      expect(await store.getReplyWatermark('lakeside')).toBeNull();
      await store.setReplyWatermark('lakeside', '2026-11-20T18:00:00.123456Z', at(0));
      await store.setReplyWatermark('other', '2026-11-01T00:00:00Z', at(0));
      expect(await store.getReplyWatermark('lakeside')).toBe('2026-11-20T18:00:00.123456Z');
      await store.setReplyWatermark('lakeside', '2026-11-21T08:00:00Z', at(1));
      expect(await store.getReplyWatermark('lakeside')).toBe('2026-11-21T08:00:00Z');
      expect(await store.getReplyWatermark('other')).toBe('2026-11-01T00:00:00Z');
    });

    test('a reply written in a transaction that throws is not kept', async () => {
      await expect(
        store.transaction(async (tx) => {
          await tx.putInboundMessage({
            sourceKey: 'push|k|x',
            channel: 'push',
            origin: 'k',
            referralId: null,
            patientMrn: null,
            inReplyTo: null,
            receivedAt: at(0),
            communication: communication('x'),
          });
          throw new Error('refused later');
        }),
      ).rejects.toMatchObject({ message: 'refused later' });
      expect(await store.listInboundMessages({ unlinked: true })).toEqual([]);
    });
  });
}
