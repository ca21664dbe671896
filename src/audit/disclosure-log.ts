import type { AuditEvent } from '@medplum/fhirtypes';
import { AUDIT_DETAIL } from './disclosure-audit';

/**
 * The disclosure log a client can ask to see (45 CFR 164.528): only what reached the destination.
 * Built from the audit trail, so there is one source of truth. A retry answered "already there"
 * records the earlier attempt's time as the moment of disclosure (its write had committed).
 */
export interface DisclosureLogEntry {
  /** When the disclosure happened. */
  date: string;
  recipientNpi: string | null;
  destinationId: string | null;
  /** The resources disclosed (versioned references). */
  what: string[];
  /** The kap-share sections disclosed. */
  sections: string[];
  purpose: string;
  consent: string | null;
  late: boolean;
}

/** Turns AuditEvents into disclosure log entries, oldest first. Pure. */
export function buildDisclosureLog(events: AuditEvent[]): DisclosureLogEntry[] {
  return events
    .filter(isDelivered)
    .map(toEntry)
    .sort((a, b) => a.date.localeCompare(b.date));
}

function isDelivered(event: AuditEvent): boolean {
  return (
    event.type?.code === '110106' &&
    event.outcome === '0' &&
    (event.entity ?? []).some((e) => detailOf(e.detail, AUDIT_DETAIL.result) === 'delivered')
  );
}

function toEntry(event: AuditEvent): DisclosureLogEntry {
  const entities = (event.entity ?? []).filter((e) => detailOf(e.detail, AUDIT_DETAIL.result) !== undefined);
  const first = entities[0];
  const recipient = event.agent?.find((a) => a.requestor === false);
  return {
    date: event.period?.start ?? event.recorded ?? '',
    recipientNpi: recipient?.who?.identifier?.value ?? null,
    destinationId: first ? (detailOf(first.detail, AUDIT_DETAIL.destination) ?? null) : null,
    what: entities.map((e) => e.what?.reference ?? '').filter((r) => r !== ''),
    sections: (first ? (detailOf(first.detail, AUDIT_DETAIL.sections) ?? '') : '').split(' ').filter(Boolean),
    purpose: event.purposeOfEvent?.[0]?.coding?.[0]?.code ?? 'TREAT',
    consent: event.agent?.find((a) => a.requestor)?.policy?.[0] ?? null,
    late: first ? detailOf(first.detail, AUDIT_DETAIL.late) === 'true' : false,
  };
}

function detailOf(
  details: NonNullable<AuditEvent['entity']>[number]['detail'],
  type: string,
): string | undefined {
  return details?.find((d) => d.type === type)?.valueString;
}
