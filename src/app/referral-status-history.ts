import type { Referral, ReferralStatusRecord } from '../domain/records';
import { currentStatus } from '../domain/referral-status-rules';
import type { StoreOps } from './ports/store-port';

/**
 * The status changes recorded for a referral (DESIGN.md §6b), read by the status ingest, the
 * referral ingest (a re-posted referral keeps the status in force) and the messages view.
 */

/** One record per referral and instant: the same change posted twice is the same record. */
export function statusRecordId(change: Pick<ReferralStatusRecord, 'referralId' | 'at'>): string {
  return `${change.referralId}@${change.at}`;
}

/** The status changes on file for a referral (latest version of each), oldest first. */
export async function statusChangesOf(tx: StoreOps, referral: Referral): Promise<ReferralStatusRecord[]> {
  const records = await tx.listRecords({ kind: 'referral-status', patientMrn: referral.client.mrn });
  return records.map((r) => r.json as ReferralStatusRecord).filter((s) => s.referralId === referral.id);
}

/** The status in force for a referral, when any was recorded. */
export async function statusInForce(
  tx: StoreOps,
  referral: Referral,
): Promise<ReferralStatusRecord | undefined> {
  return currentStatus(await statusChangesOf(tx, referral));
}
