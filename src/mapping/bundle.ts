import type { Bundle, Resource } from '@medplum/fhirtypes';
import type {
  ConsentRecord,
  IntegrationUpdate,
  Referral,
  ReferralStatusRequest,
  RevocationRequest,
} from '../domain/records';
import { mapConsent, mapRevocation } from './map-consent';
import { mapReferral, type ReferralMappingOptions } from './map-referral';
import { mapReferralStatus } from './map-referral-status';
import { mapIntegrationUpdate } from './map-update';
import { mappingOptions, type MappingOptions } from './options';

/**
 * `collection` Bundles of mapped records (what `kap-bridge map` prints): the mapped resource
 * first, then its supporting resources. fullUrls are `{base}/{type}/{id}`, so the relative
 * references inside resolve within the Bundle (http://hl7.org/fhir/R4/bundle.html#references).
 * No `timestamp`: mapping reads no clock, and the same record gives the same Bundle.
 */
export function collectionBundle(resources: Resource[], fullUrlBase: string): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'collection',
    entry: resources.map((resource) => ({
      fullUrl: `${fullUrlBase}/${resource.resourceType}/${resource.id ?? ''}`,
      resource,
    })),
  };
}

function present<T>(values: Array<T | undefined>): T[] {
  return values.filter((v): v is T => v !== undefined);
}

/** Referral → Bundle [ServiceRequest, Patient, Practitioner, PractitionerRole, Organization?, practice]. */
export function bundleReferral(referral: Referral, partial: Partial<ReferralMappingOptions> = {}): Bundle {
  const m = mapReferral(referral, partial);
  const resources = present<Resource>([
    m.serviceRequest,
    m.patient,
    m.practitioner,
    m.practitionerRole,
    m.organization,
    m.practice,
  ]);
  return collectionBundle(resources, mappingOptions(partial).fullUrlBase);
}

/** Consent → Bundle [Consent, Patient, Practitioner (recipient), practice, RelatedPerson?]. */
export function bundleConsent(
  record: ConsentRecord,
  referral: Referral,
  partial: Partial<MappingOptions> = {},
): Bundle {
  const m = mapConsent(record, referral, partial);
  const resources = present<Resource>([m.consent, m.patient, m.practitioner, m.practice, m.relatedPerson]);
  return collectionBundle(resources, mappingOptions(partial).fullUrlBase);
}

/** Revocation → the same Bundle as {@link bundleConsent}, its Consent now the inactive version. */
export function bundleRevocation(
  record: ConsentRecord,
  revocation: RevocationRequest,
  referral: Referral,
  partial: Partial<MappingOptions> = {},
): Bundle {
  const m = mapConsent(record, referral, partial);
  const resources = present<Resource>([
    mapRevocation(m.consent, revocation),
    m.patient,
    m.practitioner,
    m.practice,
    m.relatedPerson,
  ]);
  return collectionBundle(resources, mappingOptions(partial).fullUrlBase);
}

/** Update → Bundle [Communication, Patient, Practitioner (author), Practitioner (recipient)]. */
export function bundleUpdate(
  update: IntegrationUpdate,
  referral: Referral,
  partial: Partial<MappingOptions> = {},
): Bundle {
  const m = mapIntegrationUpdate(update, referral);
  // The author and the recipient are one Practitioner when the same clinician refers and treats.
  const recipient = m.recipient.id === m.author.id ? undefined : m.recipient;
  return collectionBundle(
    present<Resource>([m.communication, m.patient, m.author, recipient]),
    mappingOptions(partial).fullUrlBase,
  );
}

/**
 * Referral status → Bundle [Task, ServiceRequest (with the new status), Patient, Practitioner,
 * PractitionerRole, Organization?, practice] (DESIGN.md §6b).
 */
export function bundleReferralStatus(
  change: ReferralStatusRequest,
  referral: Referral,
  partial: Partial<ReferralMappingOptions> = {},
): Bundle {
  const m = mapReferral(referral, { ...partial, status: change.status });
  const { task } = mapReferralStatus(referral, change, partial);
  const resources = present<Resource>([
    task,
    m.serviceRequest,
    m.patient,
    m.practitioner,
    m.practitionerRole,
    m.organization,
    m.practice,
  ]);
  return collectionBundle(resources, mappingOptions(partial).fullUrlBase);
}
