import type { RecipientHistory } from '../domain/consent-lifecycle';
import type { ConsentRecord, RevocationRecord } from '../domain/records';
import type { StoreOps } from './ports/store-port';

/**
 * The client's consent records for one recipient and their revocations, as the lifecycle rules
 * (DESIGN.md §5 "Consent lifecycle") take them. Revocations are stored under the consent's id
 * with the client's MRN, so both lists come from the client's records.
 */
export async function recipientHistory(
  tx: StoreOps,
  patientMrn: string,
  recipientNpi: string,
): Promise<RecipientHistory> {
  const consents = (await tx.listRecords({ kind: 'consent', patientMrn }))
    .map((r) => r.json as ConsentRecord)
    .filter((c) => c.recipientNpi === recipientNpi);
  const ids = new Set(consents.map((c) => c.id));
  // No consent for this recipient yet (a client's first): no revocation can name one of them.
  if (ids.size === 0) return { consents, revocations: [] };
  const revocations = (await tx.listRecords({ kind: 'revocation', patientMrn }))
    .map((r) => r.json as RevocationRecord)
    .filter((r) => ids.has(r.consentId));
  return { consents, revocations };
}
