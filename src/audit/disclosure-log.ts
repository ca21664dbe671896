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

/**
 * Turns AuditEvents into disclosure log entries, oldest first. Pure. Each disclosure is listed
 * once (45 CFR 164.528): an attempt answered "already there" for an outbox item whose delivery is
 * already logged (an operator replay, say) disclosed nothing new and is left out. One answered
 * "already there" with no logged delivery stays: its data did reach the destination, through an
 * earlier attempt whose response was lost or whose worker died before recording it.
 */
export function buildDisclosureLog(events: AuditEvent[]): DisclosureLogEntry[] {
  const delivered = events.filter(isDelivered).sort((a, b) => dateOf(a).localeCompare(dateOf(b)));
  const logged = new Set<string>();
  const entries: DisclosureLogEntry[] = [];
  for (const event of delivered) {
    const item = firstDetail(event, AUDIT_DETAIL.outbox);
    if (item !== undefined && logged.has(item) && firstDetail(event, AUDIT_DETAIL.alreadyThere) === 'true')
      continue;
    if (item !== undefined) logged.add(item);
    entries.push(toEntry(event));
  }
  return entries;
}

function dateOf(event: AuditEvent): string {
  return event.period?.start ?? event.recorded ?? '';
}

function firstDetail(event: AuditEvent, type: string): string | undefined {
  for (const e of event.entity ?? []) {
    const v = detailOf(e.detail, type);
    if (v !== undefined) return v;
  }
  return undefined;
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
    date: dateOf(event),
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
