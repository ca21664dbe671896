import type { Reference, ServiceRequest, Task } from '@medplum/fhirtypes';
import type { Referral, ReferralStatus, ReferralStatusRequest } from '../domain/records';
import { CODE_SYSTEM, IDENTIFIER_SYSTEM, PROFILE } from '../fhir/canonical';
import { referenceTo, resourceId } from './ids';
import { dropUndefined, mapReferral, placerIdentifier, type ReferralMappingOptions } from './map-referral';
import { displayName } from './names';

/**
 * A referral status change → the ServiceRequest with its new status and the referral's `Task`
 * (DESIGN.md §6b; HL7 BSeR closed-loop referral: a fulfilment Task whose focus is the referral).
 * One Task per referral (deterministic id and business identifier), a new version per change, so
 * the referrer's copy is updated in place by conditional update. Only status travels: the Task
 * carries no reason for referral, note or anything clinical — a decline's reason is the one text.
 */
export interface MappedReferralStatus {
  serviceRequest: ServiceRequest;
  task: Task;
}

/** R4 task-status for each referral status (the kap-referral-task-status value set). */
export const TASK_STATUS: Record<ReferralStatus, Task['status']> = {
  accepted: 'accepted',
  declined: 'rejected',
  scheduled: 'ready',
  'in-progress': 'in-progress',
  completed: 'completed',
  cancelled: 'cancelled',
};

/** `Task.businessStatus.text`: the status in the words the referrer reads. */
const BUSINESS_STATUS: Record<ReferralStatus, string> = {
  accepted: 'Referral accepted',
  declined: 'Referral declined',
  scheduled: 'First session scheduled',
  'in-progress': 'Treatment in progress',
  completed: 'Treatment completed',
  cancelled: 'Referral cancelled',
};

/** Maps the status in force of `referral` to its ServiceRequest and Task. Pure. */
export function mapReferralStatus(
  referral: Referral,
  change: ReferralStatusRequest,
  partial: Partial<ReferralMappingOptions> = {},
): MappedReferralStatus {
  const mapped = mapReferral(referral, { ...partial, status: change.status });
  const placer = placerIdentifier(referral);
  // The referrer's own order, by their placer id (R4 references.html#logical): they have it,
  // whereas the practice's ServiceRequest is the focus.
  const basedOn: Reference[] | undefined =
    placer?.system && placer.value
      ? [{ type: 'ServiceRequest', identifier: { system: placer.system, value: placer.value } }]
      : undefined;
  const task = dropUndefined<Task>({
    resourceType: 'Task',
    id: resourceId.referralTask(referral.id),
    meta: { profile: [PROFILE.referralTask] },
    identifier: [{ use: 'official', system: IDENTIFIER_SYSTEM.referralTask, value: referral.id }],
    basedOn,
    status: TASK_STATUS[change.status],
    statusReason: change.reason === undefined ? undefined : { text: change.reason },
    businessStatus: { text: BUSINESS_STATUS[change.status] },
    intent: 'order',
    code: {
      coding: [{ system: CODE_SYSTEM.taskCode, code: 'fulfill', display: 'Fulfill the focal request' }],
    },
    focus: referenceTo(mapped.serviceRequest),
    for: referenceTo(mapped.patient),
    lastModified: change.at,
    requester: referenceTo(mapped.practitionerRole, displayName(referral.referringClinician.name)),
    owner: referenceTo(mapped.practice, mapped.practice.name),
  });
  return { serviceRequest: mapped.serviceRequest, task };
}
