import { createHash } from 'node:crypto';
import type { Bundle, MessageHeader, OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { CODE_SYSTEM } from '../fhir/canonical';
import { issue, outcome } from '../fhir/outcomes';
import { mappingOptions } from '../mapping';
import { resolveInBundle } from '../mapping/bundle-references';
import { refuseOverCap } from './batch-limits';
import { checkInbound, planInbound } from './inbound-plan';
import type { FhirIngestResult } from './inbound-referral';
import { storeAllOrNothing } from './ingest-fhir-bundle';
import type { IngestContext, IngestDeps } from './ingest-types';
import { refuseUnboundSenders } from './sender-binding';

/**
 * `POST /fhir/$process-message` (http://hl7.org/fhir/R4/messageheader-operation-process-message.html)
 * for referral messages: a `message` Bundle whose first entry is a MessageHeader with event
 * v2-0003 `I12` "Patient referral" or BSeR `bser-referral-request`, focus → the ServiceRequest(s).
 * The message is processed as a whole (like a transaction) and answered synchronously with a
 * response message: MessageHeader.response = the request header's id and `ok` | `fatal-error`,
 * with an OperationOutcome entry (http://hl7.org/fhir/R4/messaging.html#reliable). A Bundle
 * without a usable MessageHeader cannot be answered with a message: it is refused (422).
 */

/** The message events accepted as referrals. */
export const REFERRAL_EVENTS: ReadonlyArray<{ system: string; code: string }> = [
  { system: CODE_SYSTEM.v2EventType, code: 'I12' },
  { system: CODE_SYSTEM.bserMessageEvent, code: 'bser-referral-request' },
];

export async function processMessage(
  deps: IngestDeps,
  bundle: Bundle,
  ctx: IngestContext = {},
): Promise<FhirIngestResult> {
  const overCap = refuseOverCap(deps, bundle);
  if (overCap) return overCap;
  const header = bundle.entry?.[0]?.resource;
  if (bundle.type !== 'message' || header?.resourceType !== 'MessageHeader' || !header.id) {
    const text =
      'A message Bundle starts with a MessageHeader that has an id (R4 bdl-12; the response cites the id).';
    return {
      status: 'rejected',
      outcome: outcome([issue({ code: 'structure', expression: 'Bundle.entry[0].resource', text })]),
    };
  }
  const errors = await checkInbound(deps.validator, bundle);
  // A MessageHeader the validator refused is not read further (focus, event, id are copied into
  // the answer): like a missing one, it cannot be answered with a message.
  const headerIssues = errors.get(0) ?? [];
  if (headerIssues.length > 0) return { status: 'rejected', outcome: outcome(headerIssues) };
  const answer = (code: 'ok' | 'fatal-error', oo: OperationOutcome): FhirIngestResult => ({
    status: 'processed',
    response: responseMessage(deps, header as MessageHeader & { id: string }, code, oo),
  });
  const bundleIssues = errors.get(-1) ?? [];
  if (bundleIssues.length > 0) return answer('fatal-error', outcome(bundleIssues));
  const focus = referralFocus(bundle, header);
  if (!focus.ok) return answer('fatal-error', outcome(focus.issues));
  const plan = planInbound(bundle, errors, { referrals: focus.indexes, checkRequests: false });
  const forbidden = refuseUnboundSenders(bundle, plan, ctx.senders, header);
  if (forbidden) return forbidden;
  if (plan.bundleIssues.length > 0) return answer('fatal-error', outcome(plan.bundleIssues));
  const stored = await storeAllOrNothing(deps, plan, ctx.actor);
  if (!stored.ok) return answer('fatal-error', stored.outcome);
  return answer('ok', outcome([...stored.results.values()].flatMap((r) => r.result.outcome.issue)));
}

function referralFocus(
  bundle: Bundle,
  header: MessageHeader,
): { ok: true; indexes: number[] } | { ok: false; issues: OperationOutcomeIssue[] } {
  const event = header.eventCoding;
  if (!REFERRAL_EVENTS.some((e) => e.system === event?.system && e.code === event.code)) {
    const accepted = REFERRAL_EVENTS.map((e) => `${e.system}|${e.code}`).join(' or ');
    const text = `This endpoint processes referral messages: the event must be ${accepted}.`;
    return {
      ok: false,
      issues: [issue({ code: 'not-supported', expression: 'Bundle.entry[0].resource.event', text })],
    };
  }
  const indexes: number[] = [];
  const issues: OperationOutcomeIssue[] = [];
  (header.focus ?? []).forEach((ref, k) => {
    const found = resolveInBundle(bundle, ref, 0);
    if (found?.resource.resourceType === 'ServiceRequest') indexes.push(found.index);
    else {
      const text = 'Each focus of a referral message must reference a ServiceRequest inside the Bundle.';
      issues.push(issue({ code: 'not-found', expression: `Bundle.entry[0].resource.focus[${k}]`, text }));
    }
  });
  if (indexes.length === 0 && issues.length === 0) {
    const text = 'A referral message names its ServiceRequest in MessageHeader.focus.';
    issues.push(issue({ code: 'required', expression: 'Bundle.entry[0].resource.focus', text }));
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, indexes };
}

/** A UUID derived from text (RFC 4122 layout, version nibble 5), for the response's fullUrls. */
function uuidFrom(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  const variant = ((parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

// A response carries the request's event (R4 MessageHeader.event[x] is 1..1).
function eventOf(request: MessageHeader): Pick<MessageHeader, 'eventCoding' | 'eventUri'> {
  if (request.eventCoding) return { eventCoding: request.eventCoding };
  return request.eventUri ? { eventUri: request.eventUri } : { eventCoding: { ...REFERRAL_EVENTS[0] } };
}

function responseMessage(
  deps: IngestDeps,
  request: MessageHeader & { id: string },
  code: 'ok' | 'fatal-error',
  oo: OperationOutcome,
): Bundle {
  const now = deps.clock().toISOString();
  const headerId = uuidFrom(`${request.id}|${now}|header`);
  const ooId = uuidFrom(`${request.id}|${now}|outcome`);
  const header: MessageHeader = {
    resourceType: 'MessageHeader',
    id: headerId,
    ...eventOf(request),
    ...(request.source?.endpoint ? { destination: [{ endpoint: request.source.endpoint }] } : {}),
    source: { name: 'kap-bridge', endpoint: mappingOptions(deps.mapping).fullUrlBase },
    response: { identifier: request.id, code, details: { reference: `urn:uuid:${ooId}` } },
  };
  return {
    resourceType: 'Bundle',
    id: uuidFrom(`${request.id}|${now}|bundle`),
    type: 'message',
    timestamp: now,
    entry: [
      { fullUrl: `urn:uuid:${headerId}`, resource: header },
      { fullUrl: `urn:uuid:${ooId}`, resource: { ...oo, id: ooId } },
    ],
  };
}
