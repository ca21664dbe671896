import type { OperationOutcome } from '@medplum/fhirtypes';
import { STATE } from '../../../outbox';
import type { OutboxRow } from '../../../app/ports/store-port';

/** Outbox rows and outcomes for people (text) and programs (JSON), shared by `ingest` and `outbox`. */

/**
 * One line per row: id, state, what, where, deadline (flags: late), attempts, and when a waiting
 * row is due again; then the row's last outcome, if any, one indented line per issue — without it
 * a `retry-wait` or `dead` row does not say why (the reason was only in `--format json`).
 */
export function formatRows(rows: OutboxRow[]): string[] {
  return rows.flatMap((r) => {
    const what = `${r.resourceType}/${r.resourceId} v${r.resourceVersion}`;
    const deadline = r.deadline ? ` deadline ${r.deadline.toISOString()}` : '';
    const late = r.late ? ' LATE' : '';
    const tries = r.attempts > 0 ? ` attempts ${r.attempts}` : '';
    const next =
      r.state === STATE.retryWait && r.nextAttemptAt ? ` next ${r.nextAttemptAt.toISOString()}` : '';
    const line = `  ${r.id}  ${r.state.padEnd(16)} ${what} → ${r.destinationId}${deadline}${late}${tries}${next}`;
    const last = r.lastOutcome ? formatOutcome(r.lastOutcome).map((l) => `      last: ${l}`) : [];
    return [line, ...last];
  });
}

/** `severity: text (at expression)` per issue. */
export function formatOutcome(outcome: OperationOutcome): string[] {
  return (outcome.issue ?? []).map((i) => {
    const at = i.expression?.length ? ` (at ${i.expression.join(', ')})` : '';
    return `${i.severity}: ${i.details?.text ?? i.diagnostics ?? i.code}${at}`;
  });
}

/** A row as JSON with ISO times (what `--format json` prints). */
export function rowJson(r: OutboxRow): Record<string, unknown> {
  return JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
}
