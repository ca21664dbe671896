import type { Communication, Consent, Reference, ServiceRequest } from '@medplum/fhirtypes';
import { decideFor } from '../consent';
import { logicalReferenceTo } from './business-identifier';
import { UndeliverableItemError } from './thrown-attempt';
import { ID_PATTERN } from '../fhir/id-pattern';

/**
 * How an integration update points at its referral when it crosses to the clinician — the one
 * place this is decided (DESIGN.md §2 "What crosses to the clinician"). The stored Communication
 * always carries the literal `ServiceRequest/<id>`; immediately before sending, with the consent
 * of that moment:
 * - `referral-status` shared with this recipient → the reference stays literal and the
 *   ServiceRequest goes in the same unit (conditional create), so the reference resolves;
 * - not shared → a logical reference by the placer id, else the filler id (R4
 *   references.html#logical): the ServiceRequest never reaches them, nor a local id.
 * Deciding at ingest would freeze an old consent into the stored resource. Pure: the stored
 * ServiceRequests, the consents and the clock are passed in.
 */

const LITERAL = new RegExp(`^ServiceRequest/(${ID_PATTERN})$`);

/** The ids of the ServiceRequests the Communication's `basedOn` references literally. */
export function basedOnServiceRequestIds(communication: Communication): string[] {
  const ids = (communication.basedOn ?? []).map((ref) => LITERAL.exec(ref.reference ?? '')?.[1]);
  return ids.filter((id): id is string => id !== undefined);
}

export interface BasedOnInput {
  communication: Communication;
  /** The stored ServiceRequests (latest versions) of {@link basedOnServiceRequestIds}, by id. */
  serviceRequests: ReadonlyMap<string, ServiceRequest>;
  consents: Consent[];
  recipientNpi: string;
  now: Date;
  timeZone: string;
}

/** The Communication as the recipient may see it, and the ServiceRequests to send with it. */
export interface BasedOnPlan {
  communication: Communication;
  serviceRequests: ServiceRequest[];
}

/**
 * Decides `basedOn` for one recipient now. Returns a copy of the Communication (the input is
 * not changed). Throws {@link UndeliverableItemError} when a literal reference points at a
 * ServiceRequest that is not stored (a broken store: there is nothing to identify it by).
 */
export function planBasedOn(input: BasedOnInput): BasedOnPlan {
  const { communication } = input;
  if (!communication.basedOn) return { communication, serviceRequests: [] };
  const shared: ServiceRequest[] = [];
  const basedOn = communication.basedOn.map((ref): Reference => {
    const id = LITERAL.exec(ref.reference ?? '')?.[1];
    if (id === undefined) return ref;
    const sr = input.serviceRequests.get(id);
    if (!sr) throw new UndeliverableItemError('basedOn points at a ServiceRequest that is not stored');
    if (!statusShared(input, sr)) return logicalReferenceTo(sr);
    if (!shared.includes(sr)) shared.push(sr);
    return ref;
  });
  return { communication: { ...communication, basedOn }, serviceRequests: shared };
}

/** Whether the consent of this moment permits `referral-status` (the ServiceRequest) to them. */
function statusShared(input: BasedOnInput, serviceRequest: ServiceRequest): boolean {
  const decision = decideFor(serviceRequest, input.consents, input.recipientNpi, input.now, input.timeZone);
  return decision.decision === 'permit';
}
