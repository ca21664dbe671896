import type {
  Consent,
  ConsentProvision,
  Organization,
  Patient,
  Practitioner,
  RelatedPerson,
} from '@medplum/fhirtypes';
import type { ConsentRecord, Referral, RevocationRequest } from '../domain/records';
import { SHARE_CODES } from '../domain/records';
import { CODE_SYSTEM, EXTENSION, IDENTIFIER_SYSTEM, PROFILE, SHARING_POLICY_URI } from '../fhir/canonical';
import { referenceTo, resourceId } from './ids';
import { displayName } from './names';
import { mappingOptions, type MappingOptions } from './options';
import {
  mapPatient,
  mapPracticeOrganization,
  mapPractitioner,
  mapRelatedPerson,
  npiIdentifier,
} from './people';
import { dropUndefined } from './map-referral';

/** A consent mapped: the Consent and every resource it references. */
export interface MappedConsent {
  consent: Consent;
  patient: Patient;
  /** The recipient (the referring clinician). */
  practitioner: Practitioner;
  practice: Organization;
  /** The representative who signed, when not the client. */
  relatedPerson?: RelatedPerson;
}

const CATEGORY = [
  { coding: [{ system: CODE_SYSTEM.loinc, code: '59284-0', display: 'Patient Consent' }] },
  { coding: [{ system: CODE_SYSTEM.v3ActCode, code: 'IDSCL', display: 'information disclosure' }] },
];

/**
 * Maps a consent record (already checked against its referral) to an R4 Consent, safe by
 * default: a root `deny` over the validity period, and for a permit one nested `permit` for the
 * recipient (IHE PCF: actor role IRCP, purpose TREAT, action disclose) listing the granted
 * kap-share codes. A refusal is the root deny alone.
 */
export function mapConsent(
  record: ConsentRecord,
  referral: Referral,
  partial: Partial<MappingOptions> = {},
): MappedConsent {
  const opts = mappingOptions(partial);
  const patient = mapPatient(referral);
  const clinician = referral.referringClinician;
  const practitioner = mapPractitioner(record.recipientNpi, clinician.name);
  const practice = mapPracticeOrganization(opts.practice);
  const relatedPerson = record.representative
    ? mapRelatedPerson(record.representative, patient, referral.client.mrn)
    : undefined;
  const consent = buildConsent(record, referral, { patient, practitioner, practice, relatedPerson });
  return { consent, patient, practitioner, practice, relatedPerson };
}

function rootProvision(
  record: ConsentRecord,
  practitioner: Practitioner,
  recipientName: string,
): ConsentProvision {
  // The recipient is named on the root too, so that this consent governs disclosures to this
  // recipient only (DESIGN.md §5: a consent applies when its root's actor matches): a consent for
  // another clinician neither widens nor cuts off this one.
  const provision: ConsentProvision = {
    type: 'deny',
    period: dropUndefined({ start: record.validFrom, end: record.validUntil }),
    actor: [recipientActor(record, practitioner, recipientName)],
  };
  if (record.decision === 'permit') provision.provision = [permitFor(record, practitioner, recipientName)];
  return provision;
}

function buildConsent(
  record: ConsentRecord,
  referral: Referral,
  parties: Omit<MappedConsent, 'consent'>,
): Consent {
  const { patient, practitioner, practice, relatedPerson } = parties;
  return dropUndefined<Consent>({
    resourceType: 'Consent',
    id: resourceId.consent(record.id),
    meta: { profile: [PROFILE.consent] },
    identifier: [{ use: 'official', system: IDENTIFIER_SYSTEM.consent, value: record.id }],
    status: 'active',
    scope: {
      coding: [{ system: CODE_SYSTEM.consentScope, code: 'patient-privacy', display: 'Privacy Consent' }],
    },
    category: CATEGORY.map((c) => ({ coding: c.coding.map((x) => ({ ...x })) })),
    patient: referenceTo(patient),
    dateTime: record.signedAt,
    performer: [
      relatedPerson
        ? referenceTo(relatedPerson, displayName(record.representative?.name ?? {}))
        : referenceTo(patient, displayName(referral.client.name)),
    ],
    organization: [referenceTo(practice, practice.name)],
    sourceAttachment: record.document
      ? {
          contentType: record.document.contentType,
          url: record.document.url,
          title: `Signed consent ${record.id}`,
        }
      : undefined,
    policy: [{ uri: SHARING_POLICY_URI }],
    provision: rootProvision(record, practitioner, displayName(referral.referringClinician.name)),
  });
}

function permitFor(record: ConsentRecord, practitioner: Practitioner, display: string): ConsentProvision {
  // Granted codes in the kap-share order, whatever order the form listed them in.
  const granted = SHARE_CODES.filter((code) => record.share.includes(code));
  return {
    type: 'permit',
    actor: [recipientActor(record, practitioner, display)],
    action: [{ coding: [{ system: CODE_SYSTEM.consentAction, code: 'disclose', display: 'Disclose' }] }],
    purpose: [{ system: CODE_SYSTEM.v3ActReason, code: 'TREAT', display: 'treatment' }],
    code: granted.map((code) => ({ coding: [{ system: CODE_SYSTEM.share, code }] })),
  };
}

/** The referring clinician as information recipient (v3-ParticipationType IRCP, as IHE PCF). */
function recipientActor(
  record: ConsentRecord,
  practitioner: Practitioner,
  display: string,
): NonNullable<ConsentProvision['actor']>[number] {
  return {
    role: {
      coding: [{ system: CODE_SYSTEM.v3ParticipationType, code: 'IRCP', display: 'information recipient' }],
    },
    reference: { ...referenceTo(practitioner, display), identifier: npiIdentifier(record.recipientNpi) },
  };
}

/**
 * The revoked version of a mapped Consent: same id and identifier, status `inactive` (R4: a
 * consent is never deleted; the new version supersedes the old). R4 Consent has no `note`, so
 * the revocation's date, reason, method and who received it are kept in the complex extension
 * `kap-revocation` (EXTENSION.revocation). The provisions are left as signed: status governs.
 */
export function mapRevocation(consent: Consent, revocation: RevocationRequest): Consent {
  const others = (consent.extension ?? []).filter((e) => e.url !== EXTENSION.revocation);
  return {
    ...consent,
    extension: [
      ...others,
      {
        url: EXTENSION.revocation,
        extension: [
          { url: 'revokedAt', valueDateTime: revocation.revokedAt },
          { url: 'reason', valueString: revocation.reason },
          { url: 'receivedBy', valueString: revocation.receivedBy },
          { url: 'method', valueCode: revocation.method },
        ],
      },
    ],
    status: 'inactive',
  };
}
