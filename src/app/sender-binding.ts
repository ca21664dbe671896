import type { Bundle, Identifier, MessageHeader, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue, outcome } from '../fhir/outcomes';
import { entryPath, resolveInBundle } from '../mapping/bundle-references';
import type { InboundPlan } from './inbound-plan';
import type { FhirIngestResult } from './inbound-referral';
import type { IngestContext } from './ingest-types';

/**
 * API keys bound to sender organisations (DESIGN.md §8 "Trust at the edge"): a key whose entry
 * in the keys file lists `senders` may send referrals only on behalf of those organisations, so
 * one health system's key cannot file referrals — and so address future disclosures — in another
 * organisation's name. The sender organisations a referral names are its requester's
 * Organization and, in a message, `MessageHeader.sender`; each must carry one of the key's
 * identifiers, and a referral that names none cannot show who sent it. Checked before any work.
 */

type SenderIds = NonNullable<IngestContext['senders']>;

/** An organisation the referral names as its sender: where it sits and its identifiers. */
interface NamedSender {
  expression: string;
  identifiers: Identifier[];
}

/** The requester's Organization of the referral whose entries are `entries`. */
function requesterOrganization(bundle: Bundle, entries: number[]): NamedSender | undefined {
  const index = entries.find((i) => bundle.entry?.[i]?.resource?.resourceType === 'Organization');
  const org = index === undefined ? undefined : bundle.entry?.[index]?.resource;
  if (index === undefined || org?.resourceType !== 'Organization') return undefined;
  return { expression: `${entryPath(index)}.identifier`, identifiers: org.identifier ?? [] };
}

/** `MessageHeader.sender`: the Organization it references in the Bundle, or its own identifier. */
function messageSender(bundle: Bundle, header: MessageHeader): NamedSender | undefined {
  const ref = header.sender;
  if (!ref) return undefined;
  const found = resolveInBundle(bundle, ref, 0);
  const identifiers =
    found?.resource.resourceType === 'Organization'
      ? (found.resource.identifier ?? [])
      : ref.identifier
        ? [ref.identifier]
        : [];
  return { expression: 'Bundle.entry[0].resource.sender', identifiers };
}

const bound = (senders: SenderIds, ids: Identifier[]): boolean =>
  ids.some((i) => senders.some((s) => s.system === i.system && s.value === i.value));

/**
 * A 403 (`forbidden`) refusal when `senders` is given and a referral of `plan` names a sender
 * organisation outside it (or none); undefined when every referral may be sent with this key.
 */
export function refuseUnboundSenders(
  bundle: Bundle,
  plan: InboundPlan,
  senders: SenderIds | undefined,
  header?: MessageHeader,
): FhirIngestResult | undefined {
  if (senders === undefined) return undefined;
  const issues: OperationOutcomeIssue[] = [];
  const fromHeader = header ? messageSender(bundle, header) : undefined;
  for (const unit of plan.units) {
    const named = [requesterOrganization(bundle, unit.entries), fromHeader].filter(
      (n): n is NamedSender => n !== undefined,
    );
    const outside = named.filter((n) => !bound(senders, n.identifiers));
    if (named.length > 0 && outside.length === 0) continue;
    const expression = outside[0]?.expression ?? `${entryPath(unit.index)}.requester`;
    const text =
      'This API key may send referrals only for the organisations it is bound to, and this referral does not name one of them as its sender (the requester’s Organization identifier, or MessageHeader.sender).';
    issues.push(issue({ code: 'forbidden', expression, text }));
  }
  return issues.length > 0
    ? { status: 'rejected', refusal: 'forbidden', outcome: outcome(issues) }
    : undefined;
}
