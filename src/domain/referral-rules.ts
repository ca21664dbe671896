import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue } from '../fhir/outcomes';
import type { Referral } from './records';
import { checkDate, checkInstant, checkName, checkNpi, checkPlainText } from './rule-helpers';

/** Rules on a schema-valid referral beyond what JSON Schema can say (DESIGN.md §2). */
export function checkReferralRules(r: Referral): OperationOutcomeIssue[] {
  const c = r.referringClinician;
  return [
    ...checkInstant(r.receivedAt, 'receivedAt'),
    ...checkName(r.client.name, 'client.name'),
    ...checkDate(r.client.birthDate, 'client.birthDate'),
    ...checkBirthBeforeReceipt(r),
    ...checkNpi(c.npi, 'referringClinician.npi'),
    ...checkName(c.name, 'referringClinician.name'),
    ...(c.organization?.npi ? checkNpi(c.organization.npi, 'referringClinician.organization.npi') : []),
    ...checkPlainText(c.organization?.name, 'referringClinician.organization.name'),
    ...checkPlainText(c.referralId, 'referringClinician.referralId'),
    ...checkPlainText(r.client.referrerPatientId?.value, 'client.referrerPatientId.value'),
    ...checkPlainText(r.reason.text, 'reason.text'),
    ...(r.reason.codes ?? []).flatMap((code, i) =>
      checkPlainText(code.display, `reason.codes[${i}].display`),
    ),
    ...checkPlainText(r.note, 'note'),
  ];
}

// A birth date after the referral was received is a typing error, not a person.
function checkBirthBeforeReceipt(r: Referral): OperationOutcomeIssue[] {
  if (r.client.birthDate <= r.receivedAt.slice(0, 10)) return [];
  return [
    issue({
      code: 'invariant',
      expression: 'client.birthDate',
      text: 'client.birthDate is after the date the referral was received',
    }),
  ];
}
