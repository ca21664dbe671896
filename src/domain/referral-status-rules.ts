import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue, outcome } from '../fhir/outcomes';
import type { Referral, ReferralStatus, ReferralStatusRecord, ReferralStatusRequest } from './records';
import { checkInstant, checkPlainText } from './rule-helpers';

/**
 * Rules on a schema-valid referral status change (DESIGN.md §6b). Only status travels to the
 * referrer, never clinical content, so a reason is asked for only where the referrer needs one:
 * a decline must say why in plain words (the BSeR closed loop's `Task.statusReason`), a
 * cancellation may; any other status carries none.
 */

/** Statuses that may carry a reason; the first of them requires one. */
const WITH_REASON: readonly ReferralStatus[] = ['declined', 'cancelled'];

export function checkReferralStatusRules(s: ReferralStatusRequest): OperationOutcomeIssue[] {
  const out: OperationOutcomeIssue[] = [...checkInstant(s.at, 'at'), ...checkPlainText(s.reason, 'reason')];
  if (s.status === 'declined' && s.reason === undefined) {
    out.push(
      issue({
        code: 'required',
        expression: 'reason',
        text: 'a declined referral needs a reason the referring clinician can read',
      }),
    );
  }
  if (s.reason !== undefined && !WITH_REASON.includes(s.status)) {
    out.push(
      issue({
        code: 'business-rule',
        expression: 'reason',
        text: `a reason is sent only with a decline or a cancellation, not with status "${s.status}"`,
      }),
    );
  }
  return out;
}

/** Returns an OperationOutcome when the change does not fit `referral` (unknown, or earlier). */
export function checkStatusAgainstReferral(
  change: ReferralStatusRecord,
  referral: Referral | undefined,
): OperationOutcome | undefined {
  if (!referral || referral.id !== change.referralId) {
    return outcome([
      issue({
        code: 'business-rule',
        expression: 'referralId',
        text: `referral ${change.referralId} is not known: record the referral first`,
      }),
    ]);
  }
  if (Date.parse(change.at) < Date.parse(referral.receivedAt)) {
    return outcome([
      issue({ code: 'invariant', expression: 'at', text: 'at is before the referral was received' }),
    ]);
  }
  return undefined;
}

/**
 * The status in force: the change with the latest `at` (ties: the later in `changes`), so a change
 * recorded late never overrides a newer one. Undefined when there is none.
 */
export function currentStatus<T extends ReferralStatusRequest>(changes: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const c of changes) if (!best || Date.parse(c.at) >= Date.parse(best.at)) best = c;
  return best;
}
