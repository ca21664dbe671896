import { randomUUID } from 'node:crypto';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { buildDisclosureAudit } from '../../audit/disclosure-audit';
import type { AttemptResult, AuditedAttemptResult, RecordedAttemptResult } from '../../outbox/attempt-result';
import { resourceId } from '../../mapping';
import { boundEvidence, cutToJsonBytes } from '../../outbox/evidence';
import type { DeliveryAttempt, OutboxPatch, OutboxRow } from '../ports/store-port';
import type { RelayDeps } from './relay-types';
import type { AttemptRecorder } from './attempt-recorder';

/**
 * Finishing one attempt: the store records it and moves the row (one transaction, lease checked,
 * shared with the attempts that finish at the same time: attempt-recorder.ts), then the AuditEvent of the attempt is appended (45 CFR 164.312(b): every disclosure attempt,
 * delivered, withheld or failed). A lost lease writes nothing: the worker that took the row over
 * accounts for it.
 */

export interface AttemptEnd {
  result: RecordedAttemptResult;
  patch: OutboxPatch;
  httpStatus: number | null;
  outcome: OperationOutcome | null;
  /** What the audit names (versioned references). */
  resources: string[];
  consentRef: string | null;
  sections: string[];
  description: string;
  /** Set when the destination already held the item: an earlier attempt committed. */
  disclosedAt?: Date;
  /** The destination answered "already there" (conditional create matched). */
  alreadyThere?: boolean;
}

/** Records the end of an attempt; returns its result, or `lost` when the lease was gone. */
export async function finishAttempt(
  deps: RelayDeps,
  record: AttemptRecorder,
  row: OutboxRow,
  startedAt: Date,
  end: AttemptEnd,
): Promise<AttemptResult> {
  const finishedAt = deps.clock();
  const audit = auditedResult(end.result);
  // Evidence, not content (DESIGN.md §6): what the destination answered is kept bounded.
  const outcome = end.outcome ? boundEvidence(end.outcome) : null;
  const patch = end.patch.lastOutcome
    ? { ...end.patch, lastOutcome: boundEvidence(end.patch.lastOutcome) }
    : end.patch;
  const done = await record({
    id: row.id,
    owner: deps.config.owner,
    attempt: {
      startedAt,
      finishedAt,
      httpStatus: end.httpStatus,
      result: end.result,
      outcome,
    },
    patch,
    audit: audit
      ? (updated) =>
          buildDisclosureAudit({
            id: (deps.newId ?? randomUUID)(),
            recorded: finishedAt,
            result: audit,
            description: cutToJsonBytes(end.description, 1024),
            patient: { reference: `Patient/${resourceId.patient(row.patientMrn)}`, mrn: row.patientMrn },
            recipient: { npi: row.recipientNpi },
            destinationId: row.destinationId,
            resources: end.resources,
            consentRef: end.consentRef,
            sections: end.sections,
            outboxId: row.id,
            ...(end.disclosedAt ? { disclosedAt: end.disclosedAt } : {}),
            ...(end.alreadyThere ? { alreadyThere: true } : {}),
            late: updated.late,
          })
      : undefined,
  });
  if (!done) return 'lost';
  return end.result;
}

/** The result an AuditEvent records; none while waiting for a consent (nothing was to be disclosed). */
function auditedResult(result: RecordedAttemptResult): AuditedAttemptResult | undefined {
  return result === 'awaiting' ? undefined : result;
}

/**
 * When a push is answered "already there", the earliest attempt of the trailing run of failed
 * attempts is the one whose write committed (its response was lost): the disclosure is dated to
 * it (DESIGN.md §2). Undefined when there is no such attempt (e.g. a crashed worker's send).
 */
export function committedAttemptStart(attempts: readonly DeliveryAttempt[]): Date | undefined {
  let earliest: Date | undefined;
  for (let i = attempts.length - 1; i >= 0; i--) {
    const a = attempts[i];
    if (!a || a.result !== 'retry') break;
    earliest = a.startedAt;
  }
  return earliest;
}

/** The first issue's text of an outcome, for a PHI-free audit description. */
export function outcomeText(outcome: OperationOutcome): string {
  const first = outcome.issue?.[0];
  return first?.details?.text ?? first?.diagnostics ?? first?.code ?? 'failed';
}
