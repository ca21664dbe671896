import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue, outcome } from '../fhir/outcomes';
import type { ConsentRecord, IntegrationUpdate, Referral, RevocationRecord } from './records';

/**
 * Rules between records: a consent or an update refers to a known referral, and a consent is
 * about that referral's client and recipient. The caller looks the referral up (store, file) and
 * passes it — or `undefined` when none was found — so these stay pure.
 */

function unknownReferral(referralId: string): OperationOutcomeIssue {
  return issue({
    code: 'business-rule',
    expression: 'referralId',
    text: `referral ${referralId} is not known: record (or pass) the referral this record refers to first`,
  });
}

function result(issues: OperationOutcomeIssue[]): OperationOutcome | undefined {
  return issues.length > 0 ? outcome(issues) : undefined;
}

/** Returns an OperationOutcome when the consent does not fit `referral`, else `undefined`. */
export function checkConsentAgainstReferral(
  consent: ConsentRecord,
  referral: Referral | undefined,
): OperationOutcome | undefined {
  if (!referral || referral.id !== consent.referralId) return result([unknownReferral(consent.referralId)]);
  const issues: OperationOutcomeIssue[] = [];
  if (consent.clientMrn !== referral.client.mrn) {
    issues.push(
      issue({
        code: 'business-rule',
        expression: 'clientMrn',
        text: `clientMrn does not match the client of referral ${referral.id}`,
      }),
    );
  }
  // The practice shares only with the clinician who referred (DESIGN.md §1): the recipient of a
  // consent is the referral's clinician.
  if (consent.recipientNpi !== referral.referringClinician.npi) {
    issues.push(
      issue({
        code: 'business-rule',
        expression: 'recipientNpi',
        text: `recipientNpi is not the referring clinician of referral ${referral.id}`,
      }),
    );
  }
  if (consent.signedAt.slice(0, 10) < referral.receivedAt.slice(0, 10)) {
    issues.push(
      issue({
        code: 'invariant',
        expression: 'signedAt',
        text: 'signedAt is before the referral was received',
      }),
    );
  }
  return result(issues);
}

/** Returns an OperationOutcome when the update does not belong to `referral`, else `undefined`. */
export function checkUpdateAgainstReferral(
  update: IntegrationUpdate,
  referral: Referral | undefined,
): OperationOutcome | undefined {
  if (!referral || referral.id !== update.referralId) return result([unknownReferral(update.referralId)]);
  if (update.sessionDate < referral.receivedAt.slice(0, 10)) {
    return result([
      issue({
        code: 'invariant',
        expression: 'sessionDate',
        text: 'sessionDate is before the referral was received',
      }),
    ]);
  }
  return undefined;
}

/** Returns an OperationOutcome when the revocation is not about `consent`, else `undefined`. */
export function checkRevocationAgainstConsent(
  revocation: RevocationRecord,
  consent: ConsentRecord | undefined,
): OperationOutcome | undefined {
  if (!consent || consent.id !== revocation.consentId) {
    return result([
      issue({
        code: 'business-rule',
        expression: 'consentId',
        text: `consent ${revocation.consentId} is not known`,
      }),
    ]);
  }
  if (revocation.revokedAt.slice(0, 10) < consent.signedAt.slice(0, 10)) {
    return result([
      issue({
        code: 'invariant',
        expression: 'revokedAt',
        text: 'revokedAt is before the consent was signed',
      }),
    ]);
  }
  return undefined;
}
