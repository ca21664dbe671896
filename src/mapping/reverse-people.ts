import type {
  ContactPoint,
  HumanName,
  Identifier,
  OperationOutcomeIssue,
  Organization,
  Patient,
  Practitioner,
  PractitionerRole,
} from '@medplum/fhirtypes';
import { isValidNpi } from '../domain/npi';
import type {
  ClinicianRole,
  Gender,
  HumanNameRecord,
  ReferralClient,
  ReferringClinician,
} from '../domain/records';
import { IDENTIFIER_SYSTEM } from '../fhir/canonical';
import { issue } from '../fhir/outcomes';

/**
 * The people of an inbound referral read back into practice-record parts: the Patient → the
 * client (without an MRN: client matching assigns it), the Practitioner (+ role, organisation) →
 * the referring clinician. Refusals carry the FHIRPath of the element at fault.
 */

/** The client as read from a Patient; `mrn` comes later, from client matching. */
export type InboundClient = Omit<ReferralClient, 'mrn'>;

export type Read<T> = { ok: true; value: T } | { ok: false; issues: OperationOutcomeIssue[] };

/** The practice's own MRN, when the sender already carries it on the Patient. */
export function practiceMrnOf(patient: Patient): string | undefined {
  return patient.identifier?.find((i) => i.system === IDENTIFIER_SYSTEM.mrn && i.value)?.value;
}

/** Index of the name to read: the `official` one, else the first (R4 HumanName.use). */
function nameIndex(names: HumanName[] | undefined): number {
  const official = (names ?? []).findIndex((n) => n.use === 'official');
  return official >= 0 ? official : 0;
}

function toNameRecord(name: HumanName): HumanNameRecord {
  const out: HumanNameRecord = {};
  if (name.prefix?.length) out.prefix = [...name.prefix];
  if (name.given?.length) out.given = [...name.given];
  if (name.family) out.family = name.family;
  if (name.suffix?.length) out.suffix = [...name.suffix];
  return out;
}

// The practice record keeps a phone and an email only when they fit its schema (DESIGN.md §2):
// its `maxLength` first, then the pattern (length before pattern, DESIGN.md §8). The email's
// domain is dot-separated labels, the last of two characters or more; each label excludes the
// dot, so no two quantifiers can trade characters (linear on `a@` + `.`×n + `@`).
const PHONE = { re: /^\+?[0-9][0-9 ().-]{5,30}$/, maxLength: 32 };
const EMAIL = { re: /^[^\s@]{1,64}@(?:[^\s@.]+\.)+[^\s@.]{2,}$/, maxLength: 254 };

function telecom(
  points: ContactPoint[] | undefined,
  system: 'phone' | 'email',
  rule: { re: RegExp; maxLength: number },
): string | undefined {
  return points?.find(
    (p) => p.system === system && p.value && p.value.length <= rule.maxLength && rule.re.test(p.value),
  )?.value;
}

/**
 * Patient → client. A full birth date is required (matching uses it, and the practice record
 * needs one); an absent gender is `unknown`, as R4 Patient.gender's absence means. The referrer's
 * patient id is the first identifier with a system and a value other than the practice's MRN.
 */
export function readClient(patient: Patient, path: string): Read<InboundClient> {
  const issues: OperationOutcomeIssue[] = [];
  const n = nameIndex(patient.name);
  const name = patient.name?.[n];
  if (!name)
    issues.push(issue({ code: 'required', expression: `${path}.name`, text: 'The Patient has no name.' }));
  if (!patient.birthDate || !/^\d{4}-\d{2}-\d{2}$/.test(patient.birthDate)) {
    const text = 'The Patient needs a full birth date (YYYY-MM-DD) to be matched to a client.';
    issues.push(issue({ code: 'required', expression: `${path}.birthDate`, text }));
  }
  if (!name || issues.length > 0) return { ok: false, issues };
  const referrerId = patient.identifier?.find(
    (i): i is Identifier & { system: string; value: string } =>
      !!i.system && !!i.value && i.system !== IDENTIFIER_SYSTEM.mrn,
  );
  const client: InboundClient = {
    name: toNameRecord(name),
    birthDate: patient.birthDate as string,
    gender: (patient.gender ?? 'unknown') as Gender,
  };
  const phone = telecom(patient.telecom, 'phone', PHONE);
  const email = telecom(patient.telecom, 'email', EMAIL);
  if (phone) client.phone = phone;
  if (email) client.email = email;
  if (referrerId) client.referrerPatientId = { system: referrerId.system, value: referrerId.value };
  return { ok: true, value: client };
}

/** The NPI of a Practitioner (http://hl7.org/fhir/sid/us-npi), required and check-digit valid. */
export function readNpi(practitioner: Practitioner, path: string): Read<string> {
  const ids = practitioner.identifier ?? [];
  const j = ids.findIndex((i) => i.system === IDENTIFIER_SYSTEM.npi);
  const npi = ids[j]?.value;
  if (j < 0 || !npi) {
    const text = `The referring Practitioner needs an NPI identifier (system ${IDENTIFIER_SYSTEM.npi}): the practice records every referrer by NPI.`;
    return { ok: false, issues: [issue({ code: 'required', expression: `${path}.identifier`, text })] };
  }
  if (!isValidNpi(npi)) {
    const text = `NPI "${npi}" is not a valid NPI (10 digits with a Luhn check digit over 80840 + the first 9).`;
    return {
      ok: false,
      issues: [issue({ code: 'value', expression: `${path}.identifier[${j}].value`, text })],
    };
  }
  return { ok: true, value: npi };
}

// PractitionerRole.code is an example binding: the role is recognised from its words.
const ROLE_WORDS: Array<[RegExp, ClinicianRole]> = [
  [/psychiatr/i, 'psychiatrist'],
  [/nurse practitioner|\bnp\b|pmhnp/i, 'nurse-practitioner'],
  [/psychotherap|therapist|counsel|psycholog|social work|lmft|lcsw/i, 'psychotherapist'],
  [/physician|medicine|\bmd\b|\bdo\b/i, 'physician'],
];

// A role is a few words; longer text is not read for them (length before pattern, DESIGN.md §8).
const MAX_ROLE_TEXT = 200;

/** The clinician's role from PractitionerRole.code (text and displays), `other` when unknown. */
export function readRole(role: PractitionerRole | undefined): ClinicianRole {
  const words = (role?.code ?? [])
    .flatMap((c) => [c.text, ...(c.coding ?? []).map((k) => k.display)])
    .filter((w): w is string => !!w && w.length <= MAX_ROLE_TEXT)
    .join(' ');
  return ROLE_WORDS.find(([re]) => re.test(words))?.[1] ?? 'other';
}

/** Practitioner (+ role and organisation) → the referring clinician, without the referral id. */
export function readClinician(
  practitioner: Practitioner,
  path: string,
  role: PractitionerRole | undefined,
  organization: Organization | undefined,
): Read<Omit<ReferringClinician, 'referralId' | 'referralIdSystem'>> {
  const npi = readNpi(practitioner, path);
  if (!npi.ok) return npi;
  const name = practitioner.name?.[nameIndex(practitioner.name)];
  if (!name) {
    const text = 'The referring Practitioner has no name.';
    return { ok: false, issues: [issue({ code: 'required', expression: `${path}.name`, text })] };
  }
  const clinician: Omit<ReferringClinician, 'referralId' | 'referralIdSystem'> = {
    npi: npi.value,
    name: toNameRecord(name),
    role: readRole(role),
  };
  if (organization?.name) {
    const orgNpi = organization.identifier?.find((i) => i.system === IDENTIFIER_SYSTEM.npi)?.value;
    clinician.organization = orgNpi ? { name: organization.name, npi: orgNpi } : { name: organization.name };
  }
  return { ok: true, value: clinician };
}
