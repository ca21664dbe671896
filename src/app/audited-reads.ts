import { randomUUID } from 'node:crypto';
import { buildAccessAudit, type AccessChannel } from '../audit/access-audit';
import { resourceId } from '../mapping';
import type { OutboxFilter, OutboxRow, Store, StoreOps } from './ports/store-port';

/**
 * Reads of PHI, audited where they happen (DESIGN.md §8: "reads of PHI are audited with the patient
 * ids they returned, from HTTP and from the CLI alike"; 45 CFR 164.312(b)). HTTP routes and CLI
 * commands both call these use cases, so the two cannot drift: one read, one AuditEvent, written
 * before the data is handed back (a read that cannot be audited fails).
 */

/** Who reads, and through what. A plain string is a command-line actor (`cli`, `demo`). */
export interface AccessReader {
  /** The API key's name, or `cli`. */
  actor: string;
  channel: AccessChannel;
  /** The HTTP request id, so the AuditEvent can be matched with the request log. */
  requestId?: string;
}

export interface AuditedReadDeps {
  store: Store;
  clock: () => Date;
  newId?: () => string;
}

/** A string reader is a command-line one. */
export function readerOf(reader: AccessReader | string): AccessReader {
  return typeof reader === 'string' ? { actor: reader, channel: 'cli' } : reader;
}

/**
 * The outbox rows matching `filter`, after recording who read them, the filter, and every client
 * whose rows were returned (one Patient entity each, by MRN and Patient reference).
 */
export async function listOutboxAudited(
  deps: AuditedReadDeps,
  filter: OutboxFilter,
  reader: AccessReader | string,
): Promise<OutboxRow[]> {
  const rows = await deps.store.listOutbox(filter);
  // The filtered client is named even when nothing came back: the read was about them.
  const mrns = [
    ...new Set([...(filter.patientMrn ? [filter.patientMrn] : []), ...rows.map((r) => r.patientMrn)]),
  ];
  await recordRead(deps.store, deps, readerOf(reader), {
    what: `outbox${describeFilter(filter)}`,
    patientMrns: mrns,
    outcome: '0',
  });
  return rows;
}

/** One read's AuditEvent, indexed under the client when the read concerned exactly one. */
export async function recordRead(
  store: StoreOps,
  deps: Pick<AuditedReadDeps, 'clock' | 'newId'>,
  reader: AccessReader,
  read: { what: string; patientMrns: readonly string[]; outcome: '0' | '4' },
): Promise<void> {
  const request = reader.requestId ? ` (request ${reader.requestId})` : '';
  const event = buildAccessAudit({
    id: (deps.newId ?? randomUUID)(),
    recorded: deps.clock(),
    actor: reader.actor,
    channel: reader.channel,
    what: `${read.what}${request}`,
    patients: read.patientMrns.map((mrn) => ({ mrn, reference: `Patient/${resourceId.patient(mrn)}` })),
    outcome: read.outcome,
  });
  // The store indexes an AuditEvent under one client; a read of several names them all as entities.
  const only = read.patientMrns.length === 1 ? (read.patientMrns[0] ?? null) : null;
  await store.appendAudit(event, only);
}

/** The filter's names and values that are not PHI; a patient filter is named, its MRN is an entity. */
function describeFilter(filter: OutboxFilter): string {
  const parts = [
    ...(filter.state ? [`state=${filter.state}`] : []),
    ...(filter.destinationId ? [`destination=${filter.destinationId}`] : []),
    ...(filter.patientMrn ? ['patient'] : []),
  ];
  return parts.length > 0 ? ` ${parts.join(' ')}` : '';
}
