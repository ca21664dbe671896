import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue } from '../fhir/outcomes';
import type { ConsentRecord, RevocationRequest } from './records';
import { checkDate, checkInstant, checkName, checkNpi, checkPlainText } from './rule-helpers';

/**
 * Rules on a schema-valid consent (DESIGN.md §2). Decisions taken here:
 * - a `permit` grants at least one share code (an empty permit would be a refusal in disguise);
 * - a `deny` grants none: `share` must be empty, since a refusal with codes is ambiguous;
 * - `representative` is required exactly when `signedBy` is `representative`.
 */
export function checkConsentRules(c: ConsentRecord): OperationOutcomeIssue[] {
  const out: OperationOutcomeIssue[] = [
    ...checkNpi(c.recipientNpi, 'recipientNpi'),
    ...checkDate(c.validFrom, 'validFrom'),
    ...checkDate(c.validUntil, 'validUntil'),
    ...checkInstant(c.signedAt, 'signedAt'),
  ];
  if (c.validUntil !== undefined && c.validUntil < c.validFrom) {
    out.push(issue({ code: 'invariant', expression: 'validUntil', text: 'validUntil is before validFrom' }));
  }
  if (c.decision === 'permit' && c.share.length === 0) {
    out.push(
      issue({
        code: 'business-rule',
        expression: 'share',
        text: 'a permit consent must grant at least one share code; record a refusal as decision "deny"',
      }),
    );
  }
  if (c.decision === 'deny' && c.share.length > 0) {
    out.push(
      issue({
        code: 'business-rule',
        expression: 'share',
        text: 'a deny consent grants nothing: share must be empty',
      }),
    );
  }
  out.push(...checkRepresentative(c));
  return out;
}

function checkRepresentative(c: ConsentRecord): OperationOutcomeIssue[] {
  if (c.signedBy === 'representative' && !c.representative) {
    return [
      issue({
        code: 'required',
        expression: 'representative',
        text: 'representative is required when signedBy is "representative"',
      }),
    ];
  }
  if (c.signedBy === 'client' && c.representative) {
    return [
      issue({
        code: 'business-rule',
        expression: 'representative',
        text: 'representative is only allowed when signedBy is "representative"',
      }),
    ];
  }
  if (!c.representative) return [];
  return [
    ...checkName(c.representative.name, 'representative.name'),
    ...checkPlainText(c.representative.relationship, 'representative.relationship'),
    ...checkPlainText(c.representative.authority, 'representative.authority'),
  ];
}

/** Rules on a schema-valid revocation (request or file form). */
export function checkRevocationRules(r: RevocationRequest): OperationOutcomeIssue[] {
  return [
    ...checkInstant(r.revokedAt, 'revokedAt'),
    ...checkPlainText(r.reason, 'reason'),
    ...checkPlainText(r.receivedBy, 'receivedBy'),
  ];
}
