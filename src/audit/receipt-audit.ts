import type { AuditEvent } from '@medplum/fhirtypes';
import { patientByMrn, SYSTEM_OBJECT } from './access-audit';

/**
 * The AuditEvent of PHI received from outside (DESIGN.md §6b: a referring clinician's reply is
 * "audited as a receipt of PHI"; 45 CFR 164.312(b)). Type DICOM `110107` Import ("data has been
 * imported into the system", R4 valueset-audit-event-type): who sent it (the API key's name, or
 * the destination it was pulled from), what was kept (the local reply id, never its text), the
 * client when the reply could be linked to one.
 */
export interface ReceiptAuditInput {
  id: string;
  recorded: Date;
  /** The API key's name (push) or the destination id (pull). */
  from: string;
  channel: 'push' | 'pull';
  /** The local id of the stored reply. */
  messageId: string;
  /** The referral it was linked to, or undefined when kept for staff review. */
  referralId?: string;
  patientMrn?: string;
}

/** Builds the receipt's AuditEvent. Pure. */
export function buildReceiptAudit(input: ReceiptAuditInput): AuditEvent {
  const linked = input.referralId
    ? `, linked to referral ${input.referralId}`
    : ', kept for staff review (not linked)';
  const event: AuditEvent = {
    resourceType: 'AuditEvent',
    id: input.id,
    type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110107', display: 'Import' },
    action: 'C',
    recorded: input.recorded.toISOString(),
    outcome: '0',
    outcomeDesc: `reply received by ${input.channel}${linked}`,
    agent: [{ who: { display: input.from }, altId: input.from, requestor: true }],
    source: { observer: { display: input.channel === 'push' ? 'kap-bridge API' : 'kap-bridge reply pull' } },
    entity: [
      {
        what: { display: `reply ${input.messageId}` },
        type: SYSTEM_OBJECT,
      },
    ],
  };
  if (input.patientMrn) event.entity?.push(patientByMrn(input.patientMrn));
  return event;
}
