import type { Coding, Communication, Consent, Reference, ServiceRequest, Task } from '@medplum/fhirtypes';
import { SHARE_CODES } from '../domain/records';
import { CODE_SYSTEM } from '../fhir/canonical';
import { sameCoding } from './match';
import { shareTagsOf } from './share-tags';
import type { DisclosureRequest } from './types';

/**
 * The DisclosureRequest for sending `resource` to `recipient` (DESIGN.md §2 "What crosses to the
 * clinician"): action `disclose`, purpose `TREAT`, class = the resource type, and the codes
 * the resource carries — a Communication's payload tags, `referral-status` for a ServiceRequest
 * and for the referral's status Task (DESIGN.md §6b),
 * every share code for a Consent (it goes out whenever any code is shared). Security labels come
 * from `meta.security`, the data's date from `sent` / `authoredOn` / `lastModified` / `dateTime`. Pure.
 */
export function buildDisclosureRequest(
  resource: Communication | ServiceRequest | Consent | Task,
  recipient: Reference,
  at?: string,
): DisclosureRequest {
  const request: DisclosureRequest = {
    patient: patientOf(resource) ?? {},
    actor: recipient,
    action: 'disclose',
    purpose: 'TREAT',
    class: resource.resourceType,
    codes: codesOf(resource),
  };
  const labels = resource.meta?.security;
  if (labels?.length) request.securityLabels = labels;
  const date = dateOf(resource);
  if (date) request.dataDate = date;
  if (at) request.at = at;
  return request;
}

function patientOf(resource: Communication | ServiceRequest | Consent | Task): Reference | undefined {
  if (resource.resourceType === 'Task') return resource.for;
  return resource.resourceType === 'Consent' ? resource.patient : resource.subject;
}

function codesOf(resource: Communication | ServiceRequest | Consent | Task): Coding[] {
  const share = (code: string): Coding => ({ system: CODE_SYSTEM.share, code });
  if (resource.resourceType === 'ServiceRequest' || resource.resourceType === 'Task') {
    return [share('referral-status')];
  }
  if (resource.resourceType === 'Consent') return SHARE_CODES.map(share);
  const out: Coding[] = [];
  for (const p of resource.payload ?? []) {
    for (const c of shareTagsOf(p)) {
      if (c && !out.some((o) => sameCoding(o, c))) out.push({ system: c.system, code: c.code });
    }
  }
  return out;
}

/** The date part as written (a local date of the offset it was recorded with). */
function dateOf(resource: Communication | ServiceRequest | Consent | Task): string | undefined {
  const value =
    resource.resourceType === 'Communication'
      ? resource.sent
      : resource.resourceType === 'ServiceRequest'
        ? resource.authoredOn
        : resource.resourceType === 'Task'
          ? resource.lastModified
          : resource.dateTime;
  return value?.slice(0, 10);
}
