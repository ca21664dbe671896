import type { ServiceRequest } from '@medplum/fhirtypes';
import { resourceId } from '../../src/mapping';
import { loadRecord, openIngestHarness } from './ingest-harness';

/**
 * A first post of a referral does not read the client's consents and status changes (none can
 * name a referral not on file); a changed re-post still keeps both in its ServiceRequest:
 * `supportingInfo` → the latest Consent, `status` from the status in force (DESIGN.md §6b).
 */
test('a changed referral keeps its consent and the status in force; a first post has neither', async () => {
  const h = await openIngestHarness();
  try {
    const referral = loadRecord('referral-clinician-full.json') as Record<string, unknown>;
    const serviceRequest = async () =>
      (await h.store.getResource('ServiceRequest', resourceId.serviceRequest('REF-2026-0042')))
        ?.resource as ServiceRequest;

    expect((await h.run('referral', referral)).status).toBe('created');
    const first = await serviceRequest();
    expect(first.supportingInfo).toBeUndefined();
    expect(first.status).toBe('active');

    h.setNow('2026-11-06T17:00:00Z');
    expect((await h.run('consent', loadRecord('consent-client-full.json'))).status).toBe('created');
    expect((await h.run('referralStatus', loadRecord('referral-status-declined.json'))).status).toBe(
      'created',
    );
    const changed = await h.run('referral', { ...referral, note: 'A third SSRI trial was started.' });
    expect(changed.status).toBe('updated');
    const after = await serviceRequest();
    expect(after.supportingInfo).toEqual([{ reference: `Consent/${resourceId.consent('CON-2026-0042-1')}` }]);
    expect(after.status).not.toBe('active');
  } finally {
    await h.dispose();
  }
});
