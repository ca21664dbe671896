import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue } from '../fhir/outcomes';
import { isRealDate, isRealInstant } from './calendar';
import { looksLikeMarkup } from './free-text';
import type { HumanNameRecord } from './records';
import { isValidNpi } from './npi';

/**
 * Small checks shared by the record rules. Each returns the issues it found (empty when fine), so
 * a record's rule function is a flat list of checks and every refusal names its field.
 */

export function checkNpi(value: string, path: string): OperationOutcomeIssue[] {
  return isValidNpi(value)
    ? []
    : [
        issue({
          code: 'value',
          expression: path,
          text: `${path} is not a valid NPI: its check digit does not match`,
        }),
      ];
}

export function checkDate(value: string | undefined, path: string): OperationOutcomeIssue[] {
  if (value === undefined || isRealDate(value)) return [];
  return [issue({ code: 'value', expression: path, text: `${path} is not a real calendar date (${value})` })];
}

export function checkInstant(value: string, path: string): OperationOutcomeIssue[] {
  if (isRealInstant(value)) return [];
  return [
    issue({
      code: 'value',
      expression: path,
      text: `${path} is not a real instant with seconds and a time zone (${value})`,
    }),
  ];
}

/** Refuses text that looks like HTML or script (see free-text.ts for why). */
export function checkPlainText(value: string | undefined, path: string): OperationOutcomeIssue[] {
  if (value === undefined || !looksLikeMarkup(value)) return [];
  return [
    issue({ code: 'value', expression: path, text: `${path} looks like HTML or script; send plain text` }),
  ];
}

/** Every string part of a name is plain text, and a name has a family or a given name. */
export function checkName(name: HumanNameRecord, path: string): OperationOutcomeIssue[] {
  const out: OperationOutcomeIssue[] = [];
  // US Core Patient invariant us-core-8 / FHIR matching: a name needs a family or a given part.
  if (name.family === undefined && (name.given ?? []).length === 0) {
    out.push(
      issue({ code: 'required', expression: path, text: `${path} needs a family name or a given name` }),
    );
  }
  out.push(...checkPlainText(name.family, `${path}.family`));
  for (const key of ['given', 'prefix', 'suffix'] as const) {
    (name[key] ?? []).forEach((part, i) => out.push(...checkPlainText(part, `${path}.${key}[${i}]`)));
  }
  return out;
}
