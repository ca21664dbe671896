import type { AuditEvent } from '@medplum/fhirtypes';
import { patientByMrn, REST_OPERATION, SYSTEM_OBJECT } from './access-audit';

/**
 * AuditEvents for practice records written into kap-bridge (45 CFR 164.312(b): record activity in
 * systems that contain ePHI). Who (the API key's name, or `cli`), what (record kind, id and
 * version), when — no record content.
 */
export interface RecordAuditInput {
  id: string;
  recorded: Date;
  actor: string;
  kind: string;
  recordId: string;
  version: number;
  /** First version (create) or a later one (update). */
  created: boolean;
  patientMrn: string | null;
}

/** Builds the AuditEvent of one stored record version. Pure. */
export function buildRecordAudit(input: RecordAuditInput): AuditEvent {
  const interaction = input.created ? 'create' : 'update';
  const event: AuditEvent = {
    resourceType: 'AuditEvent',
    id: input.id,
    type: { ...REST_OPERATION },
    subtype: [{ system: 'http://hl7.org/fhir/restful-interaction', code: interaction, display: interaction }],
    action: input.created ? 'C' : 'U',
    recorded: input.recorded.toISOString(),
    outcome: '0',
    agent: [{ who: { display: input.actor }, altId: input.actor, requestor: true }],
    source: { observer: { display: 'kap-bridge ingest' } },
    entity: [
      {
        what: { display: `${input.kind} ${input.recordId} version ${input.version}` },
        type: SYSTEM_OBJECT,
      },
    ],
  };
  if (input.patientMrn) event.entity?.push(patientByMrn(input.patientMrn));
  return event;
}
