import type {
  Identifier,
  Organization,
  Patient,
  Practitioner,
  PractitionerRole,
  Reference,
  ServiceRequest,
} from '@medplum/fhirtypes';
import type { Referral, ReferralStatus } from '../domain/records';
import { CODE_SYSTEM, IDENTIFIER_SYSTEM, PROFILE } from '../fhir/canonical';
import { referenceTo, resourceId } from './ids';
import { displayName } from './names';
import { mappingOptions, type MappingOptions } from './options';
import {
  mapPatient,
  mapPracticeOrganization,
  mapPractitioner,
  mapPractitionerRole,
  mapReferrerOrganization,
} from './people';

/** A referral mapped: the ServiceRequest and every resource it references. */
export interface MappedReferral {
  serviceRequest: ServiceRequest;
  patient: Patient;
  practitioner: Practitioner;
  practitionerRole: PractitionerRole;
  /** The referrer's organisation, when the referral names one. */
  organization?: Organization;
  /** The practice (the performer). */
  practice: Organization;
}

/** Options of {@link mapReferral}: the common ones plus the consent to cite, when known. */
export interface ReferralMappingOptions extends MappingOptions {
  /** The id of the consent record on file for this referral (→ `supportingInfo`). */
  consentId?: string;
  /** The referral's status in force (DESIGN.md §6b), when one was recorded (→ `status`). */
  status?: ReferralStatus;
}

/**
 * ServiceRequest.status for each referral status (R4 request-status): the order stays `active`
 * while the practice works on it, is `completed` when done, and `revoked` ("terminated prior to
 * the known full completion") when declined or cancelled.
 */
const REQUEST_STATUS: Record<ReferralStatus, NonNullable<ServiceRequest['status']>> = {
  accepted: 'active',
  scheduled: 'active',
  'in-progress': 'active',
  completed: 'completed',
  declined: 'revoked',
  cancelled: 'revoked',
};

// As HL7 BSeR: category and code SNOMED CT 3457005 "Patient referral".
const PATIENT_REFERRAL = { system: CODE_SYSTEM.snomed, code: '3457005', display: 'Patient referral' };

function identifierType(code: 'PLAC' | 'FILL'): Identifier['type'] {
  const display = code === 'PLAC' ? 'Placer Identifier' : 'Filler Identifier';
  return { coding: [{ system: CODE_SYSTEM.v2IdentifierType, code, display }] };
}

/** The practice's own referral id, typed FILL (HL7 v2 table 0203). */
export function fillerIdentifier(referral: Referral): Identifier {
  return {
    use: 'official',
    type: identifierType('FILL'),
    system: IDENTIFIER_SYSTEM.referral,
    value: referral.id,
  };
}

/**
 * The referrer's own referral id, typed PLAC, when they gave one, under their system when they
 * named it; else under the practice's `referrer-referral` system qualified by the referrer's NPI,
 * so that two referrers' ids never collide in the practice's store.
 */
export function placerIdentifier(referral: Referral): Identifier | undefined {
  const { referralId, referralIdSystem, npi } = referral.referringClinician;
  if (!referralId) return undefined;
  const system = referralIdSystem ?? `${IDENTIFIER_SYSTEM.referrerReferral}/${npi}`;
  return { use: 'usual', type: identifierType('PLAC'), system, value: referralId };
}

/** Maps a (parsed, valid) referral to a ServiceRequest with its Patient, clinician and organisations. */
export function mapReferral(
  referral: Referral,
  partial: Partial<ReferralMappingOptions> = {},
): MappedReferral {
  const opts = mappingOptions(partial);
  const patient = mapPatient(referral);
  const clinician = referral.referringClinician;
  const practitioner = mapPractitioner(clinician.npi, clinician.name);
  const organization = clinician.organization ? mapReferrerOrganization(clinician.organization) : undefined;
  const practitionerRole = mapPractitionerRole(clinician, practitioner, organization);
  const practice = mapPracticeOrganization(opts.practice);
  const serviceRequest = buildServiceRequest(referral, { patient, practitionerRole, practice }, partial);
  return {
    serviceRequest,
    patient,
    practitioner,
    practitionerRole,
    organization,
    practice,
  };
}

interface ReferralParties {
  patient: Patient;
  practitionerRole: PractitionerRole;
  practice: Organization;
}

function buildServiceRequest(
  referral: Referral,
  parties: ReferralParties,
  partial: Partial<ReferralMappingOptions>,
): ServiceRequest {
  const { consentId, status } = partial;
  const { patient, practitionerRole, practice } = parties;
  // A self-referral is requested by the client; the named clinician stays the consent recipient.
  const requester: Reference<Patient | PractitionerRole> =
    referral.source === 'self'
      ? referenceTo(patient, displayName(referral.client.name))
      : referenceTo(practitionerRole, displayName(referral.referringClinician.name));
  return dropUndefined<ServiceRequest>({
    resourceType: 'ServiceRequest',
    id: resourceId.serviceRequest(referral.id),
    meta: { profile: [PROFILE.referral] },
    identifier: [placerIdentifier(referral), fillerIdentifier(referral)].filter(
      (i): i is Identifier => i !== undefined,
    ),
    status: status ? REQUEST_STATUS[status] : 'active',
    intent: 'order',
    category: [{ coding: [PATIENT_REFERRAL] }],
    priority: referral.priority,
    code: { coding: [PATIENT_REFERRAL], text: 'Ketamine-assisted psychotherapy' },
    subject: referenceTo(patient),
    authoredOn: referral.receivedAt,
    requester,
    performer: [referenceTo(practice, practice.name)],
    reasonCode: [reasonCode(referral)],
    supportingInfo: consentId ? [{ reference: `Consent/${resourceId.consent(consentId)}` }] : undefined,
    note: referral.note ? [{ text: referral.note }] : undefined,
  });
}

function reasonCode(referral: Referral): NonNullable<ServiceRequest['reasonCode']>[number] {
  const coding = (referral.reason.codes ?? []).map((c) =>
    c.display ? { ...c } : { system: c.system, code: c.code },
  );
  return coding.length > 0 ? { coding, text: referral.reason.text } : { text: referral.reason.text };
}

/** Removes keys whose value is `undefined`, so output JSON has no empty members. */
export function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
