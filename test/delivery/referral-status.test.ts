import type { ServiceRequest, Task } from '@medplum/fhirtypes';
import { openRelayHarness, PARTIAL_SHARE, record, sandboxSearch, type RelayHarness } from './relay-harness';

/**
 * DESIGN.md §6b end to end against the sandbox over HTTP: a referral status change reaches the
 * referring clinician's server as a Task (and the ServiceRequest's new status) only when the
 * client shares `referral-status` with them.
 */

let h: RelayHarness;
beforeEach(async () => (h = await openRelayHarness()));
afterEach(() => h.dispose());

const TASK_ID = { system: 'https://kap-bridge.example/fhir/sid/referral-task', value: 'REF-2026-0042' };

async function referralAndConsent(consentPatch: Record<string, unknown> = {}): Promise<void> {
  await h.run('referral', record('referral-clinician-full.json'), '2026-11-03T09:00:00-08:00');
  await h.run('consent', record('consent-client-full.json', consentPatch), '2026-11-05T11:00:00-08:00');
}

describe('referral status to the referrer (DESIGN.md §6b)', () => {
  test('with referral-status shared, an accepted referral reaches the sandbox as one accepted Task focused on the ServiceRequest, and re-posting it sends nothing more', async () => {
    await referralAndConsent();
    const accepted = record('referral-status-accepted.json', { at: '2026-11-06T09:30:00-08:00' });
    const result = await h.run('referralStatus', accepted, '2026-11-06T09:31:00-08:00');
    expect(result.status).toBe('created');
    expect(result.outbox.map((r) => [r.resourceType, r.state])).toEqual([
      ['ServiceRequest', 'queued'],
      ['Task', 'queued'],
    ]);
    expect((await h.relay().drain()).dead).toBe(0);

    const tasks = (await sandboxSearch(h, 'Task', TASK_ID)) as unknown as Task[];
    expect(tasks).toHaveLength(1);
    const task = tasks[0]!;
    expect(task).toMatchObject({
      status: 'accepted',
      intent: 'order',
      code: { coding: [{ code: 'fulfill' }] },
      businessStatus: { text: 'Referral accepted' },
      basedOn: [
        {
          type: 'ServiceRequest',
          identifier: { system: 'https://ehr.lakeside.example/referrals', value: 'LP-7781' },
        },
      ],
    });
    expect(task.statusReason).toBeUndefined();
    // Only status travels: nothing of the referral's reason or note.
    expect(JSON.stringify(task)).not.toMatch(/depress|SSRI/i);
    const srs = (await sandboxSearch(h, 'ServiceRequest')) as unknown as ServiceRequest[];
    expect(srs).toHaveLength(1);
    expect(srs[0]?.status).toBe('active');
    // The focus points at the referral the clinician holds (by reference or by identifier).
    const focus = task.focus?.reference ?? task.focus?.identifier?.value;
    expect([`ServiceRequest/${String(srs[0]?.id)}`, 'LP-7781']).toContain(focus);
    expect(task.for?.reference).toMatch(/^Patient\//);
    expect(task.owner?.reference).toMatch(/^Organization\//);

    expect((await h.run('referralStatus', accepted, '2026-11-06T09:40:00-08:00')).status).toBe('unchanged');
    expect((await h.relay().drain()).leased).toBe(0);
    expect(await sandboxSearch(h, 'Task', TASK_ID)).toHaveLength(1);
  });

  test('a declined referral carries its reason, turns the same Task rejected and the ServiceRequest revoked', async () => {
    await referralAndConsent();
    await h.run(
      'referralStatus',
      record('referral-status-accepted.json', { at: '2026-11-06T09:30:00-08:00' }),
      '2026-11-06T09:31:00-08:00',
    );
    await h.relay().drain();
    const declined = record('referral-status-declined.json', { at: '2026-11-07T10:00:00-08:00' });
    await h.run('referralStatus', declined, '2026-11-07T10:01:00-08:00');
    expect((await h.relay().drain()).dead).toBe(0);
    const tasks = (await sandboxSearch(h, 'Task', TASK_ID)) as unknown as Task[];
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({
      status: 'rejected',
      businessStatus: { text: 'Referral declined' },
      statusReason: { text: (declined as { reason: string }).reason },
    });
    const srs = (await sandboxSearch(h, 'ServiceRequest')) as unknown as ServiceRequest[];
    expect(srs.map((s) => s.status)).toEqual(['revoked']);
  });

  test('a change recorded late never rolls the status back', async () => {
    await referralAndConsent();
    await h.run(
      'referralStatus',
      record('referral-status-accepted.json', { status: 'in-progress', at: '2026-11-08T09:00:00-08:00' }),
      '2026-11-08T09:01:00-08:00',
    );
    const late = await h.run(
      'referralStatus',
      record('referral-status-accepted.json', { at: '2026-11-06T09:30:00-08:00' }),
      '2026-11-08T09:02:00-08:00',
    );
    expect(late.outbox).toEqual([]);
    await h.relay().drain();
    const tasks = (await sandboxSearch(h, 'Task', TASK_ID)) as unknown as Task[];
    expect(tasks.map((t) => t.status)).toEqual(['in-progress']);
  });

  test('when the consent does not share referral status, the Task is withheld and never reaches the sandbox', async () => {
    await referralAndConsent(PARTIAL_SHARE);
    const result = await h.run(
      'referralStatus',
      record('referral-status-accepted.json', { at: '2026-11-06T09:30:00-08:00' }),
      '2026-11-06T09:31:00-08:00',
    );
    expect(result.outbox.map((r) => [r.resourceType, r.state])).toEqual([
      ['ServiceRequest', 'withheld'],
      ['Task', 'withheld'],
    ]);
    await h.relay().drain();
    expect(await sandboxSearch(h, 'Task')).toHaveLength(0);
    expect(await sandboxSearch(h, 'ServiceRequest')).toHaveLength(0);
  });
});
