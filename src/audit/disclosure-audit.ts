import type { AuditEvent, AuditEventAgent, AuditEventEntity, Coding } from '@medplum/fhirtypes';
import { CODE_SYSTEM, IDENTIFIER_SYSTEM } from '../fhir/canonical';
import type { AuditedAttemptResult } from '../outbox/attempt-result';
import { SYSTEM_OBJECT } from './access-audit';

/**
 * AuditEvents for disclosure attempts (DESIGN.md §2 last row; 45 CFR 164.312(b) audit controls,
 * 164.528 accounting of disclosures). Shaped after the R4 example "example-disclosure": type DCM
 * 110106 Export, subtype Disclosure, the practice as source, the recipient as destination. They
 * carry references and codes only — never names or update text (no PHI beyond the identifiers the
 * audit trail needs).
 */

export interface DisclosureAuditInput {
  id: string;
  recorded: Date;
  /** `delivered` is the only result that is a disclosure. */
  result: AuditedAttemptResult;
  /** Why, in plain words without PHI ("consent denies all requested sections", "HTTP 503"). */
  description: string;
  patient: { reference: string; mrn: string };
  recipient: { npi: string; reference?: string };
  destinationId: string;
  /** The resources sent (or that would have been), as versioned references. */
  resources: string[];
  /** `Consent/{id}/_history/{v}` that decided, when any. */
  consentRef: string | null;
  /** The kap-share codes disclosed (delivered) or withheld. */
  sections: string[];
  outboxId: string;
  /**
   * When the disclosure actually happened, if earlier than `recorded`: a retry answered "already
   * there" means an earlier attempt's write committed though its response was lost.
   */
  disclosedAt?: Date;
  /** The destination already held the item (its conditional create matched an earlier write). */
  alreadyThere?: boolean;
  late?: boolean;
}

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
export const DISCLOSURE_SUBTYPE: Coding = {
  system: 'http://hl7.org/fhir/restful-interaction',
  code: 'create',
  display: 'create',
};
/** kap-bridge's own detail keys on AuditEvent.entity.detail. */
export const AUDIT_DETAIL = {
  result: 'kap-result',
  sections: 'kap-sections',
  destination: 'kap-destination',
  outbox: 'kap-outbox-id',
  disclosedAt: 'kap-disclosed-at',
  alreadyThere: 'kap-already-there',
  late: 'kap-late',
} as const;

const OUTCOME_CODE: Record<AuditedAttemptResult, AuditEvent['outcome']> = {
  delivered: '0',
  withheld: '4', // refused by policy: a denied disclosure, as IHE BALP records denied access
  retry: '4',
  dead: '8',
};

/** Builds the AuditEvent of one disclosure attempt. Pure. */
export function buildDisclosureAudit(input: DisclosureAuditInput): AuditEvent {
  return {
    resourceType: 'AuditEvent',
    id: input.id,
    type: { system: DCM, code: '110106', display: 'Export' },
    subtype: [DISCLOSURE_SUBTYPE],
    action: 'C',
    period: {
      start: (input.disclosedAt ?? input.recorded).toISOString(),
      end: input.recorded.toISOString(),
    },
    recorded: input.recorded.toISOString(),
    outcome: OUTCOME_CODE[input.result],
    outcomeDesc: input.description,
    purposeOfEvent: [{ coding: [{ system: CODE_SYSTEM.v3ActReason, code: 'TREAT', display: 'treatment' }] }],
    agent: [sourceAgent(input), recipientAgent(input)],
    source: {
      observer: { display: 'kap-bridge' },
      type: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/security-source-type',
          code: '4',
          display: 'Application Server',
        },
      ],
    },
    entity: [patientEntity(input), ...input.resources.map((r) => resourceEntity(r, input))],
  };
}

function sourceAgent(input: DisclosureAuditInput): AuditEventAgent {
  const agent: AuditEventAgent = {
    type: { coding: [{ system: DCM, code: '110153', display: 'Source Role ID' }] },
    who: { display: 'kap-bridge relay' },
    requestor: true,
  };
  if (input.consentRef) agent.policy = [input.consentRef];
  return agent;
}

function recipientAgent(input: DisclosureAuditInput): AuditEventAgent {
  return {
    type: { coding: [{ system: DCM, code: '110152', display: 'Destination Role ID' }] },
    who: {
      ...(input.recipient.reference ? { reference: input.recipient.reference } : {}),
      identifier: { system: IDENTIFIER_SYSTEM.npi, value: input.recipient.npi },
    },
    requestor: false,
    network: { address: input.destinationId, type: '5' },
    purposeOfUse: [{ coding: [{ system: CODE_SYSTEM.v3ActReason, code: 'TREAT' }] }],
  };
}

function patientEntity(input: DisclosureAuditInput): AuditEventEntity {
  return {
    what: {
      reference: input.patient.reference,
      identifier: { system: IDENTIFIER_SYSTEM.mrn, value: input.patient.mrn },
    },
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '1', display: 'Person' },
    role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1', display: 'Patient' },
  };
}

function resourceEntity(reference: string, input: DisclosureAuditInput): AuditEventEntity {
  const detail: NonNullable<AuditEventEntity['detail']> = [
    { type: AUDIT_DETAIL.result, valueString: input.result },
    { type: AUDIT_DETAIL.destination, valueString: input.destinationId },
    { type: AUDIT_DETAIL.outbox, valueString: input.outboxId },
  ];
  if (input.sections.length > 0)
    detail.push({ type: AUDIT_DETAIL.sections, valueString: input.sections.join(' ') });
  if (input.disclosedAt)
    detail.push({ type: AUDIT_DETAIL.disclosedAt, valueString: input.disclosedAt.toISOString() });
  if (input.alreadyThere) detail.push({ type: AUDIT_DETAIL.alreadyThere, valueString: 'true' });
  if (input.late) detail.push({ type: AUDIT_DETAIL.late, valueString: 'true' });
  return {
    what: { reference },
    type: SYSTEM_OBJECT,
    role: {
      system: 'http://terminology.hl7.org/CodeSystem/object-role',
      code: '4',
      display: 'Domain Resource',
    },
    lifecycle: {
      system: 'http://terminology.hl7.org/CodeSystem/dicom-audit-lifecycle',
      code: '11',
      display: 'Disclosure',
    },
    detail,
  };
}
