import type { Communication, Consent, ServiceRequest } from '@medplum/fhirtypes';
import { decideFor, redactCommunication, shareCodesOf, type Decision, type Disclosable } from '../../consent';
import type { OutboxRow, StoredResource, StoreOps } from '../ports/store-port';
import { basedOnServiceRequestIds, planBasedOn } from '../../outbox/based-on';
import type { UnitEntryDraft } from './relay-unit';

/**
 * What the relay may send for one outbox item, decided again immediately before the attempt
 * (DESIGN.md §5: "the decision is taken twice"; a revocation stops every disclosure not yet
 * made). Returns the main entries of the delivery unit, or why nothing goes.
 */

export type DisclosurePlan =
  | { kind: 'awaiting-consent'; decision: Decision }
  | { kind: 'withheld'; consentRef: string | null; reason: string; sections: string[] }
  | { kind: 'send'; mains: UnitEntryDraft[]; consentRef: string | null; sections: string[] };

export interface PlanInput {
  store: StoreOps;
  row: OutboxRow;
  stored: StoredResource;
  consents: Consent[];
  now: Date;
  timeZone: string;
}

/** Decides and shapes what goes out for `row` (its stored resource version). */
export async function planDisclosure(input: PlanInput): Promise<DisclosurePlan> {
  const resource = input.stored.resource as Disclosable;
  if (resource.resourceType === 'Consent' && resource.status === 'inactive') {
    // A revoked or superseded Consent is the notice that sharing stopped: it goes out whatever
    // the consent now permits, so the destination's copy turns inactive (DESIGN.md §2).
    const self = `Consent/${input.stored.id}/_history/${input.stored.versionId}`;
    return {
      kind: 'send',
      mains: [{ resource, method: 'conditional-update' }],
      consentRef: self,
      sections: [],
    };
  }
  const decision = decideFor(resource, input.consents, input.row.recipientNpi, input.now, input.timeZone);
  if (decision.decision === 'no-consent') return { kind: 'awaiting-consent', decision };
  const codes = (list: Decision['permitted']) => list.map((c) => c.code ?? '').filter(Boolean);
  if (decision.decision === 'deny') {
    return {
      kind: 'withheld',
      consentRef: decision.consent,
      reason: 'consent denies',
      sections: codes(decision.denied),
    };
  }
  if (resource.resourceType === 'Communication') return planCommunication(input, resource, decision);
  return {
    kind: 'send',
    mains: [{ resource, method: methodFor(input) }],
    consentRef: decision.consent,
    sections: STATUS_TYPES.has(resource.resourceType) ? ['referral-status'] : codes(decision.permitted),
  };
}

/** What goes under `referral-status`: the ServiceRequest and its status Task (DESIGN.md §6b). */
const STATUS_TYPES: ReadonlySet<string> = new Set(['ServiceRequest', 'Task']);

/**
 * Consent is the practice's own and may change (revocation): conditional update. So is the
 * referral's status Task (one per referral, a new version per status change, §6b). A
 * ServiceRequest or Communication is created once; a later version (status change, correction,
 * `entered-in-error`) follows with conditional update (DESIGN.md §6).
 */
function methodFor(input: PlanInput): UnitEntryDraft['method'] {
  if (input.stored.resourceType === 'Consent' || input.stored.resourceType === 'Task') {
    return 'conditional-update';
  }
  return input.stored.versionId > 1 ? 'conditional-update' : 'conditional-create';
}

async function planCommunication(
  input: PlanInput,
  communication: Communication,
  decision: Decision,
): Promise<DisclosurePlan> {
  const redacted = redactCommunication(communication, decision);
  if (!redacted) {
    return {
      kind: 'withheld',
      consentRef: decision.consent,
      reason: 'no permitted section left after redaction',
      sections: [],
    };
  }
  const shaped = planBasedOn({
    communication: redacted,
    serviceRequests: await storedServiceRequests(input.store, redacted),
    consents: input.consents,
    recipientNpi: input.row.recipientNpi,
    now: input.now,
    timeZone: input.timeZone,
  });
  const mains: UnitEntryDraft[] = [
    { resource: shaped.communication, method: methodFor(input) },
    ...shaped.serviceRequests.map((sr): UnitEntryDraft => ({ resource: sr, method: 'conditional-create' })),
  ];
  return { kind: 'send', mains, consentRef: decision.consent, sections: shareCodesOf(redacted) };
}

/** The latest stored version of each ServiceRequest the Communication is based on, by id. */
async function storedServiceRequests(
  store: StoreOps,
  communication: Communication,
): Promise<Map<string, ServiceRequest>> {
  const found = new Map<string, ServiceRequest>();
  for (const id of basedOnServiceRequestIds(communication)) {
    const stored = await store.getResource('ServiceRequest', id);
    if (stored) found.set(id, stored.resource as ServiceRequest);
  }
  return found;
}
