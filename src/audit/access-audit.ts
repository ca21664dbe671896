import type { AuditEvent, AuditEventEntity } from '@medplum/fhirtypes';
import { IDENTIFIER_SYSTEM } from '../fhir/canonical';

/** The audit entity naming the client by the practice MRN (no other identifying detail). */
export function patientByMrn(mrn: string): AuditEventEntity {
  return {
    what: { identifier: { system: IDENTIFIER_SYSTEM.mrn, value: mrn } },
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '1', display: 'Person' },
    role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1', display: 'Patient' },
  };
}

/**
 * AuditEvents for reads of PHI through the API (DESIGN.md §8: "Reads of PHI through the API are
 * themselves audited (who, what, when)"; 45 CFR 164.312(b)). `who` is the API key's name, so one
 * key per system or person makes the trail say who.
 */
export interface AccessAuditInput {
  id: string;
  recorded: Date;
  /** The API key's name. */
  actor: string;
  /** What was read, as a route template or an operation name — never PHI values. */
  what: string;
  patientMrn?: string;
  /** `0` success; `4` refused; `8` failed. */
  outcome?: '0' | '4' | '8';
}

/** Builds the AuditEvent of one API read. Pure. */
export function buildAccessAudit(input: AccessAuditInput): AuditEvent {
  const event: AuditEvent = {
    resourceType: 'AuditEvent',
    id: input.id,
    type: {
      system: 'http://terminology.hl7.org/CodeSystem/audit-event-type',
      code: 'rest',
      display: 'RESTful Operation',
    },
    subtype: [{ system: 'http://hl7.org/fhir/restful-interaction', code: 'read', display: 'read' }],
    action: 'R',
    recorded: input.recorded.toISOString(),
    outcome: input.outcome ?? '0',
    agent: [{ who: { display: input.actor }, requestor: true, altId: input.actor }],
    source: { observer: { display: 'kap-bridge API' } },
    entity: [{ what: { display: input.what } }],
  };
  if (input.patientMrn) event.entity?.push(patientByMrn(input.patientMrn));
  return event;
}
