import type { Reference, Resource } from '@medplum/fhirtypes';

/**
 * Deterministic resource ids: derived from the record's own ids, so mapping the same record
 * twice gives the same resources (DESIGN.md §6, effectively-once delivery). FHIR ids are
 * `[A-Za-z0-9\-\.]{1,64}` (http://hl7.org/fhir/R4/datatypes.html#id).
 */
export function fhirId(...parts: string[]): string {
  return parts
    .join('-')
    .replace(/[^A-Za-z0-9.-]+/g, '-')
    .slice(0, 64);
}

/** A short slug of free text (an organisation's or representative's name) for ids and identifiers. */
export function slug(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '') // one dash at most: runs were collapsed above
    .slice(0, 40);
}

export const resourceId = {
  patient: (mrn: string) => fhirId('patient', mrn),
  practitioner: (npi: string) => fhirId('practitioner', npi),
  practitionerRole: (npi: string, role: string) => fhirId('role', npi, role),
  organizationByNpi: (npi: string) => fhirId('organization', npi),
  organizationByName: (name: string) => fhirId('organization', slug(name)),
  relatedPerson: (mrn: string, name: string) => fhirId('relatedperson', mrn, slug(name)),
  serviceRequest: (referralId: string) => fhirId('referral', referralId),
  consent: (consentId: string) => fhirId('consent', consentId),
  communication: (updateId: string) => fhirId('update', updateId),
  referralTask: (referralId: string) => fhirId('referral-task', referralId),
};

/** A literal reference `Type/id` to a resource (with a display when given). */
export function referenceTo<T extends Resource>(resource: T, display?: string): Reference<T> {
  const ref: Reference<T> = { reference: `${resource.resourceType}/${resource.id ?? ''}` };
  if (display) ref.display = display;
  return ref;
}
