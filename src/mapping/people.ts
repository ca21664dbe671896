import type {
  Identifier,
  Organization,
  Patient,
  Practitioner,
  PractitionerRole,
  RelatedPerson,
} from '@medplum/fhirtypes';
import type { HumanNameRecord, Referral, ReferringClinician, Representative } from '../domain/records';
import { CODE_SYSTEM, EXTENSION, IDENTIFIER_SYSTEM } from '../fhir/canonical';
import { referenceTo, resourceId, slug } from './ids';
import { displayName, toHumanName } from './names';
import type { PracticeInfo } from './options';

/**
 * The supporting resources of the mapped records: who the client, the clinicians and the
 * organisations are. Only what matching and display need leaves the practice.
 */

const MR_TYPE = {
  coding: [{ system: CODE_SYSTEM.v2IdentifierType, code: 'MR', display: 'Medical record number' }],
};

/** The NPI as an Identifier (http://hl7.org/fhir/sid/us-npi). */
export function npiIdentifier(npi: string): Identifier {
  return { system: IDENTIFIER_SYSTEM.npi, value: npi };
}

/**
 * The client as an outbound Patient: minimum necessary (HIPAA 45 CFR 164.502(b)) — identifiers,
 * name, birth date, gender; never phone, email or address. Conforms to US Core Patient 3.1.0
 * (identifier, name and gender are required there; race/ethnicity/birthsex are optional; the
 * tests check it) without claiming it in `meta.profile`: kap-bridge does not ship US Core, so a
 * claim it cannot check at run time would only be an "unchecked profile" warning on every ingest,
 * and receivers judge conformance by their own rules, not by the claim.
 */
export function mapPatient(referral: Referral): Patient {
  const c = referral.client;
  const identifier: Identifier[] = [
    { use: 'usual', type: MR_TYPE, system: IDENTIFIER_SYSTEM.mrn, value: c.mrn },
  ];
  if (c.referrerPatientId) {
    identifier.push({
      use: 'secondary',
      system: c.referrerPatientId.system,
      value: c.referrerPatientId.value,
    });
  }
  return {
    resourceType: 'Patient',
    id: resourceId.patient(c.mrn),
    identifier,
    name: [toHumanName(c.name)],
    gender: c.gender,
    birthDate: c.birthDate,
  };
}

/** A clinician (referrer or practice clinician) as a Practitioner with NPI and name. */
export function mapPractitioner(npi: string, name: HumanNameRecord): Practitioner {
  return {
    resourceType: 'Practitioner',
    id: resourceId.practitioner(npi),
    identifier: [npiIdentifier(npi)],
    name: [toHumanName(name)],
  };
}

const ROLE_TEXT: Record<ReferringClinician['role'], string> = {
  psychiatrist: 'Psychiatrist',
  psychotherapist: 'Psychotherapist',
  physician: 'Physician',
  'nurse-practitioner': 'Nurse practitioner',
  other: 'Clinician',
};

/** The referring clinician in their role (and organisation, when known): the requester. */
export function mapPractitionerRole(
  clinician: ReferringClinician,
  practitioner: Practitioner,
  organization: Organization | undefined,
): PractitionerRole {
  const role: PractitionerRole = {
    resourceType: 'PractitionerRole',
    id: resourceId.practitionerRole(clinician.npi, clinician.role),
    identifier: [{ system: IDENTIFIER_SYSTEM.practitionerRole, value: `${clinician.npi}-${clinician.role}` }],
    active: true,
    practitioner: referenceTo(practitioner, displayName(clinician.name)),
    // PractitionerRole.code is an example binding; the role is carried as text.
    code: [{ text: ROLE_TEXT[clinician.role] }],
  };
  if (organization) role.organization = referenceTo(organization, organization.name);
  return role;
}

/** The referrer's organisation: identified by its NPI, else by its name under the practice's system. */
export function mapReferrerOrganization(org: NonNullable<ReferringClinician['organization']>): Organization {
  return {
    resourceType: 'Organization',
    id: org.npi ? resourceId.organizationByNpi(org.npi) : resourceId.organizationByName(org.name),
    identifier: [
      org.npi ? npiIdentifier(org.npi) : { system: IDENTIFIER_SYSTEM.organization, value: slug(org.name) },
    ],
    active: true,
    name: org.name,
  };
}

/** The practice's own Organization (performer of referrals, keeper of consents). */
export function mapPracticeOrganization(practice: PracticeInfo): Organization {
  const identifier: Identifier[] = [{ ...practice.identifier }];
  if (practice.npi) identifier.push(npiIdentifier(practice.npi));
  return { resourceType: 'Organization', id: practice.id, identifier, active: true, name: practice.name };
}

// Common relationship words → v3-RoleCode (the R4 RelatedPerson.relationship preferred binding).
const RELATIONSHIP_CODES: Record<string, { code: string; display: string }> = {
  parent: { code: 'PRN', display: 'parent' },
  mother: { code: 'MTH', display: 'mother' },
  father: { code: 'FTH', display: 'father' },
  guardian: { code: 'GUARD', display: 'guardian' },
  'legal guardian': { code: 'GUARD', display: 'guardian' },
  spouse: { code: 'SPS', display: 'spouse' },
  husband: { code: 'HUSB', display: 'husband' },
  wife: { code: 'WIFE', display: 'wife' },
  'domestic partner': { code: 'DOMPART', display: 'domestic partner' },
  child: { code: 'CHILD', display: 'child' },
  sibling: { code: 'SIB', display: 'sibling' },
  'power of attorney': { code: 'POWATT', display: 'power of attorney' },
  'healthcare power of attorney': { code: 'HPOWATT', display: 'healthcare power of attorney' },
};

/** A representative who signed for the client, with relationship and signing authority. */
export function mapRelatedPerson(rep: Representative, patient: Patient, mrn: string): RelatedPerson {
  const known = RELATIONSHIP_CODES[rep.relationship.trim().toLowerCase()];
  const nameText = displayName(rep.name);
  return {
    resourceType: 'RelatedPerson',
    id: resourceId.relatedPerson(mrn, nameText),
    extension: [{ url: EXTENSION.representativeAuthority, valueString: rep.authority }],
    identifier: [{ system: IDENTIFIER_SYSTEM.relatedPerson, value: `${mrn}-${slug(nameText)}` }],
    active: true,
    patient: referenceTo(patient),
    relationship: [
      known
        ? { coding: [{ system: CODE_SYSTEM.v3RoleCode, ...known }], text: rep.relationship }
        : { text: rep.relationship },
    ],
    name: [toHumanName(rep.name)],
  };
}
