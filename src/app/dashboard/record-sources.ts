import type { ConsentRecord, IntegrationUpdate, Referral } from '../../domain/records';
import { resourceId } from '../../mapping';
import type { StoreOps } from '../ports/store-port';

/**
 * Which practice record an outbox row carries: the row names a FHIR resource
 * (`resourceType/resourceId`), the dashboard needs the referral and, for an integration update,
 * the session it reports on (DESIGN.md §6: "has the update from Tuesday's session reached the
 * referring clinician?"). Resource ids are derived from record ids (mapping/ids.ts), so the map
 * is built from the records, never by parsing ids back.
 */
export interface RecordSource {
  referralId: string;
  /** The practice record's own id (referral, consent or update id). */
  recordId: string;
  /** For an integration update: the session's date (`YYYY-MM-DD`) and number. */
  sessionDate?: string;
  sessionNumber?: number;
}

/** `ResourceType/id` → the record it was mapped from, for the client (or every client). */
export async function recordSources(
  store: StoreOps,
  patientMrn?: string,
): Promise<Map<string, RecordSource>> {
  const of = patientMrn ? { patientMrn } : {};
  const [referrals, consents, updates] = await Promise.all([
    store.listRecords({ kind: 'referral', ...of }),
    store.listRecords({ kind: 'consent', ...of }),
    store.listRecords({ kind: 'update', ...of }),
  ]);
  const sources = new Map<string, RecordSource>();
  for (const { json } of referrals) {
    const r = json as Referral;
    sources.set(`ServiceRequest/${resourceId.serviceRequest(r.id)}`, { referralId: r.id, recordId: r.id });
  }
  for (const { json } of consents) {
    const c = json as ConsentRecord;
    sources.set(`Consent/${resourceId.consent(c.id)}`, { referralId: c.referralId, recordId: c.id });
  }
  for (const { json } of updates) {
    const u = json as IntegrationUpdate;
    sources.set(`Communication/${resourceId.communication(u.id)}`, {
      referralId: u.referralId,
      recordId: u.id,
      sessionDate: u.sessionDate,
      sessionNumber: u.sessionNumber,
    });
  }
  return sources;
}
