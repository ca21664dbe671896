import type { Consent } from '@medplum/fhirtypes';
import { decideFor, type Decision, type Disclosable } from '../consent';
import {
  cancelledByNewerVersion,
  enqueuedAs,
  REDECIDABLE_STATES,
  redecided,
  stateForDecision,
  type OutboxState,
} from '../outbox';
import type { OutboxRow, StoredResource, StoreOps } from './ports/store-port';

/**
 * Turning a stored resource into an outbox row with the consent decision of the moment
 * (DESIGN.md §2 "What crosses to the clinician", §6): `permit` → `queued`, `no-consent` →
 * `awaiting-consent` (re-evaluated when a consent is recorded), `deny` → `withheld`. The relay
 * decides again immediately before every attempt.
 */

/** The client's Consents (latest version of each), as the decision engine takes them. */
export async function patientConsents(tx: StoreOps, patientMrn: string): Promise<Consent[]> {
  const stored = await tx.listResources({ resourceType: 'Consent', patientMrn });
  return stored.map((s) => s.resource as Consent);
}

/** The outbox state a decision puts an item in (the enqueue transition of src/outbox). */
export function stateFor(decision: Decision): OutboxState {
  return stateForDecision(decision.decision);
}

/** Deterministic item key: destination + resource reference + version (re-ingest → same key). */
export function itemKey(destinationId: string, stored: StoredResource): string {
  return `${destinationId}|${stored.resourceType}/${stored.id}/_history/${stored.versionId}`;
}

export interface EnqueueInput {
  stored: StoredResource;
  patientMrn: string;
  recipientNpi: string;
  destinationId: string;
  state: OutboxState;
  consentRef: string | null;
  deadline: Date | null;
  now: Date;
}

/**
 * Enqueues one item. When it is a new row for a newer version of a resource, rows of older
 * versions for the same destination that have not left are cancelled: only the latest content
 * should reach the clinician (a corrected update, a revoked consent).
 */
export async function enqueueItem(
  tx: StoreOps,
  input: EnqueueInput,
): Promise<{ row: OutboxRow; created: boolean; cancelled: OutboxRow[] }> {
  const { stored, now } = input;
  const { row, created } = await tx.enqueue(
    {
      itemKey: itemKey(input.destinationId, stored),
      destinationId: input.destinationId,
      patientMrn: input.patientMrn,
      recipientNpi: input.recipientNpi,
      resourceType: stored.resourceType,
      resourceId: stored.id,
      resourceVersion: stored.versionId,
      state: input.state,
      deadline: input.deadline,
      consentRef: input.consentRef,
      nextAttemptAt: enqueuedAs(input.state, now).nextAttemptAt,
    },
    now,
  );
  const cancelled: OutboxRow[] = [];
  // A first version has no older rows to cancel: the client's rows are not read for it.
  if (!created || stored.versionId <= 1) return { row, created, cancelled };
  for (const old of await rowsOfResource(tx, input.patientMrn, stored.resourceType, stored.id)) {
    if (old.resourceVersion >= stored.versionId || old.destinationId !== input.destinationId) continue;
    const cancel = cancelledByNewerVersion();
    const moved = await tx.transitionOutbox(old.id, cancel.from, cancel.patch, now);
    if (moved) cancelled.push(moved);
  }
  return { row, created, cancelled };
}

/** Every outbox row (any version, any destination) of one resource of the client. */
export async function rowsOfResource(
  tx: StoreOps,
  patientMrn: string,
  resourceType: string,
  id: string,
): Promise<OutboxRow[]> {
  const rows = await tx.listOutbox({ patientMrn });
  return rows.filter((r) => r.resourceType === resourceType && r.resourceId === id);
}

/**
 * Re-decides the client's items that have not left, after their consents changed (DESIGN.md §6):
 * `awaiting-consent` rows move to `queued` or `withheld`; `queued` / `retry-wait` rows that are
 * now denied become `withheld` at once (revocation stops every disclosure not yet made).
 * Consent rows are left alone: they tell the clinician what changed. In-flight rows are the
 * relay's (it re-checks consent before sending).
 */
export async function reevaluatePending(
  tx: StoreOps,
  patientMrn: string,
  now: Date,
  timeZone: string,
  /** The client's Consents as stored now, when the caller has just read them. */
  current?: Consent[],
): Promise<OutboxRow[]> {
  const consents = current ?? (await patientConsents(tx, patientMrn));
  const rows = await tx.listOutbox({ patientMrn });
  const changed: OutboxRow[] = [];
  for (const row of rows) {
    if (row.resourceType === 'Consent') continue;
    if (!REDECIDABLE_STATES.includes(row.state)) continue;
    const stored = await tx.getResource(row.resourceType, row.resourceId, row.resourceVersion);
    if (!stored) continue;
    const decision = decideFor(stored.resource as Disclosable, consents, row.recipientNpi, now, timeZone);
    const move = redecided(row.state, decision.decision, decision.consent, now);
    if (!move) continue;
    const moved = await tx.transitionOutbox(row.id, move.from, move.patch, now);
    if (moved) changed.push(moved);
  }
  return changed;
}
