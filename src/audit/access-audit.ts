import type { AuditEvent, AuditEventEntity, Coding } from '@medplum/fhirtypes';
import { IDENTIFIER_SYSTEM } from '../fhir/canonical';

/** The entity type of a record or resource the event is about (R4 audit-entity-type `2`). */
export const SYSTEM_OBJECT: Coding = {
  system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type',
  code: '2',
  display: 'System Object',
};

/**
 * The audit entity naming the client by the practice MRN (no other identifying detail), and by
 * the local Patient reference when the caller knows it.
 */
export function patientByMrn(mrn: string, reference?: string): AuditEventEntity {
  return {
    what: {
      ...(reference ? { reference } : {}),
      identifier: { system: IDENTIFIER_SYSTEM.mrn, value: mrn },
    },
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '1', display: 'Person' },
    role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1', display: 'Patient' },
  };
}

/** Where a read came from: the HTTP API or the command line (the AuditEvent's observer). */
export type AccessChannel = 'api' | 'cli';

const OBSERVER: Record<AccessChannel, string> = { api: 'kap-bridge API', cli: 'kap-bridge CLI' };

/**
 * AuditEvents for reads of PHI (DESIGN.md §8: "reads of PHI are audited with the patient ids they
 * returned, from HTTP and from the CLI alike"; 45 CFR 164.312(b)). `who` is the API key's name
 * (or `cli`), so one key per system or person makes the trail say who.
 */
export interface AccessAuditInput {
  id: string;
  recorded: Date;
  /** The API key's name, or `cli`. */
  actor: string;
  /** What was read, as a route template or an operation name — never PHI values. */
  what: string;
  /** The one client the read was about (e.g. a disclosure log), returned or not. */
  patientMrn?: string;
  /** Every client whose data the read returned: one Patient entity each. */
  patients?: ReadonlyArray<{ mrn: string; reference?: string }>;
  /** Default `api`. */
  channel?: AccessChannel;
  /** `0` success; `4` refused; `8` failed. */
  outcome?: '0' | '4' | '8';
}

/**
 * AuditEvent.type of every read and record write (R4 valueset-audit-event-type): a RESTful
 * operation; the subtype names the interaction.
 */
export const REST_OPERATION: Coding = {
  system: 'http://terminology.hl7.org/CodeSystem/audit-event-type',
  code: 'rest',
  display: 'RESTful Operation',
};

/** Builds the AuditEvent of one read. Pure. */
export function buildAccessAudit(input: AccessAuditInput): AuditEvent {
  const event: AuditEvent = {
    resourceType: 'AuditEvent',
    id: input.id,
    type: { ...REST_OPERATION },
    subtype: [{ system: 'http://hl7.org/fhir/restful-interaction', code: 'read', display: 'read' }],
    action: 'R',
    recorded: input.recorded.toISOString(),
    outcome: input.outcome ?? '0',
    agent: [{ who: { display: input.actor }, requestor: true, altId: input.actor }],
    source: { observer: { display: OBSERVER[input.channel ?? 'api'] } },
    entity: [{ what: { display: input.what } }],
  };
  const named = new Set<string>();
  const patients = [...(input.patientMrn ? [{ mrn: input.patientMrn }] : []), ...(input.patients ?? [])];
  for (const p of patients) {
    if (named.has(p.mrn)) continue;
    named.add(p.mrn);
    event.entity?.push(patientByMrn(p.mrn, p.reference));
  }
  return event;
}
