import type { Communication, Consent, Reference, ServiceRequest, Task } from '@medplum/fhirtypes';
import { IDENTIFIER_SYSTEM } from '../fhir/canonical';
import { resourceId } from '../mapping/ids';
import { decideDisclosure } from './decide';
import { buildDisclosureRequest } from './disclosure-request';
import type { Decision } from './types';

/**
 * The consent decision for one of the practice's resources and one referring clinician, as both
 * ingest (queueing) and the relay (immediately before sending) take it (DESIGN.md §5: "the
 * decision is taken twice"). Pure: the clock and the consents are passed in.
 */

/**
 * The resources that cross to the clinician under a consent decision (DESIGN.md §2, §6b: the
 * referral's status Task goes under `referral-status`, like the ServiceRequest).
 */
export type Disclosable = Communication | ServiceRequest | Consent | Task;

/** The referring clinician as a consent actor: the Practitioner reference and the NPI. */
export function recipientReference(npi: string): Reference {
  return {
    reference: `Practitioner/${resourceId.practitioner(npi)}`,
    identifier: { system: IDENTIFIER_SYSTEM.npi, value: npi },
  };
}

/** The consent decision for sending `resource` to the clinician with `npi` at `now`. */
export function decideFor(
  resource: Disclosable,
  consents: Consent[],
  npi: string,
  now: Date,
  timeZone: string,
): Decision {
  const request = buildDisclosureRequest(resource, recipientReference(npi), now.toISOString());
  return decideDisclosure(consents, request, now, { timeZone });
}
