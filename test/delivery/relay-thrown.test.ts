import type { ServiceRequest } from '@medplum/fhirtypes';
import { openRelayHarness, record, sandboxSearch, type RelayHarness } from './relay-harness';

/**
 * A row whose attempt throws (DESIGN.md §6): a failed attempt like any other — bounded, then
 * `dead` with a readable reason — and never a failure of the rest of the drain. The broken item
 * is real: a ServiceRequest version without a business identifier written into the SQLite store.
 */

let h: RelayHarness;
beforeEach(async () => (h = await openRelayHarness()));
afterEach(() => h.dispose());

const MRN = 'KAP-000123';

/** Referral + full consent, then a new ServiceRequest version that cannot be built into a unit. */
async function queueABrokenRow(): Promise<string> {
  await h.run('referral', record('referral-clinician-full.json'), '2026-11-03T09:00:00-08:00');
  await h.run('consent', record('consent-client-full.json'), '2026-11-05T11:00:00-08:00');
  const [sr] = await h.store.listResources({ resourceType: 'ServiceRequest', patientMrn: MRN });
  if (!sr) throw new Error('no ServiceRequest stored');
  const broken = { ...(sr.resource as ServiceRequest & { id: string }) };
  delete broken.identifier;
  const stored = await h.store.putResource(broken, MRN, h.clock.now);
  const { row } = await h.store.enqueue(
    {
      itemKey: `lakeside-ehr ServiceRequest/${stored.id}/_history/${stored.versionId}`,
      destinationId: 'lakeside-ehr',
      patientMrn: MRN,
      recipientNpi: '1234567893',
      resourceType: 'ServiceRequest',
      resourceId: stored.id,
      resourceVersion: stored.versionId,
      state: 'queued',
      deadline: null,
      consentRef: null,
    },
    h.clock.now,
  );
  return row.id;
}

describe('a row whose attempt throws', () => {
  test('it is retried within the bounded attempts, then goes dead with a readable reason, while the other rows of the same drain are delivered', async () => {
    const brokenId = await queueABrokenRow();
    h.clock.set('2026-11-05T11:05:00-08:00');
    const relay = h.relay({ maxAttempts: 3 });

    const first = await relay.drain();
    expect(first).toMatchObject({ delivered: 2, retried: 1, dead: 0 });
    expect(await sandboxSearch(h, 'ServiceRequest')).toHaveLength(1);
    expect(await sandboxSearch(h, 'Consent')).toHaveLength(1);
    expect((await h.store.getOutbox(brokenId))?.state).toBe('retry-wait');

    for (let i = 0; i < 2; i++) {
      h.clock.advance(3_600_000);
      await relay.drain();
    }
    const row = await h.store.getOutbox(brokenId);
    expect(row).toMatchObject({ state: 'dead', attempts: 3, leaseOwner: null });
    const issue = row?.lastOutcome?.issue?.[0];
    expect(issue?.code).toBe('exception');
    expect(issue?.details?.text).toBe(
      'the item cannot be delivered: ServiceRequest has no business identifier to deliver by',
    );
    const attempts = await h.store.listAttempts(brokenId);
    expect(attempts.map((a) => a.result)).toEqual(['retry', 'retry', 'dead']);

    // Once dead it is not leased again: a later drain finds nothing due.
    h.clock.advance(86_400_000);
    expect(await relay.drain()).toMatchObject({ leased: 0 });
  });

  test('an unexpected error is named by its kind only: no message (it may hold PHI) and no stack in the reason', async () => {
    const brokenId = await queueABrokenRow();
    h.clock.set('2026-11-05T11:05:00-08:00');
    // A store whose resource reads throw a message that carries PHI, as a driver error might.
    const real = h.store.getResource.bind(h.store);
    h.store.getResource = async (type, id, version) => {
      if (type === 'ServiceRequest' && version === 2) throw new TypeError('cannot read "Jordan Rivera"');
      return real(type, id, version);
    };
    expect(await h.relay({ maxAttempts: 1 }).drain()).toMatchObject({ delivered: 2, dead: 1 });
    const text = (await h.store.getOutbox(brokenId))?.lastOutcome?.issue?.[0]?.details?.text ?? '';
    expect(text).toContain('(TypeError)');
    expect(text).not.toContain('Jordan');
    expect(text.split('\n').some((line) => line.trimStart().startsWith('at '))).toBe(false);
    const audits = await h.store.listAudit({ patientMrn: MRN });
    expect(JSON.stringify(audits.map((a) => a.event))).not.toContain('Jordan');
  });
});
