import { randomUUID } from 'node:crypto';
import type { Communication } from '@medplum/fhirtypes';
import { buildRecordAudit } from '../audit/record-audit';
import type { Referral, ReferralStatus } from '../domain/records';
import { readerOf, recordRead, type AccessReader, type AuditedReadDeps } from './audited-reads';
import { destinationOf } from './ingest-referral';
import type { IngestDeps } from './ingest-types';
import { clinicianSenderIds } from './link-reply';
import type { InboundMessage } from './ports/store-port';
import { statusChangesOf } from './referral-status-history';

/**
 * What staff see of the loop with a referring clinician (DESIGN.md §6b, `GET /referrals/{id}/messages`;
 * a documented, stable JSON the dashboard reads): the status changes recorded for the referral and
 * the clinician's replies, with the replies that could not be linked to any referral but came from
 * this clinician's destination or name this clinician as their sender (candidates for a person to
 * match). The read is audited with the client's MRN before it is answered (45 CFR 164.312(b)).
 */

export interface StatusView {
  status: ReferralStatus;
  at: string;
  reason?: string;
}

/** One reply as staff see it. */
export interface ReplyView {
  id: string;
  receivedAt: string;
  /** Who sent it, as the reply names them; else where it came from. */
  from: string;
  /** `push` (posted to kap-bridge) or `pull` (read from the clinician's server). */
  via: 'push' | 'pull';
  text: string;
  /** What it answers: an integration update or the referral itself; null when not linked. */
  inReplyTo: { kind: 'update' | 'referral'; id: string } | null;
  handled: boolean;
  handledAt?: string;
  handledBy?: string;
}

export interface ReferralMessages {
  referral: string;
  statuses: StatusView[];
  replies: ReplyView[];
  /** Unlinked replies that may belong here (present only when there are some). */
  unlinked?: ReplyView[];
}

export type MessagesDeps = AuditedReadDeps & Pick<IngestDeps, 'defaultDestinationId'>;

/** The referral's statuses and replies, or null when there is no such referral (audited either way). */
export async function readReferralMessages(
  deps: MessagesDeps,
  referralId: string,
  reader: AccessReader | string,
): Promise<ReferralMessages | null> {
  const referral = (await deps.store.getRecord('referral', referralId))?.json as Referral | undefined;
  if (!referral) {
    await recordRead(deps.store, deps, readerOf(reader), {
      what: 'referral-messages',
      patientMrns: [],
      outcome: '4',
    });
    return null;
  }
  const statuses = (await statusChangesOf(deps.store, referral))
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
    .map((s): StatusView => ({ status: s.status, at: s.at, ...(s.reason ? { reason: s.reason } : {}) }));
  const replies = inConversationOrder(await deps.store.listInboundMessages({ referralId })).map(replyView);
  const unlinked = inConversationOrder(await unlinkedCandidates(deps, referral)).map(replyView);
  await recordRead(deps.store, deps, readerOf(reader), {
    what: 'referral-messages',
    patientMrns: [referral.client.mrn],
    outcome: '0',
  });
  return { referral: referralId, statuses, replies, ...(unlinked.length > 0 ? { unlinked } : {}) };
}

/** Unhandled unlinked replies from this referral's destination, or naming its clinician as sender. */
async function unlinkedCandidates(deps: MessagesDeps, referral: Referral): Promise<InboundMessage[]> {
  const destination = destinationOf(deps, referral).destinationId;
  const ids = clinicianSenderIds(referral);
  const named = (c: Communication): boolean => {
    const sender = c.sender?.identifier;
    return !!sender && ids.some((i) => i.system === sender.system && i.value === sender.value);
  };
  const all = await deps.store.listInboundMessages({ unlinked: true });
  return all.filter(
    (m) =>
      m.handledAt === null && ((m.channel === 'pull' && m.origin === destination) || named(m.communication)),
  );
}

/**
 * Replies in the order they were written (`Communication.sent`, else when received): a pull reads
 * a clinician's messages in batches, so arrival order is not conversation order. Stable.
 */
function inConversationOrder(messages: InboundMessage[]): InboundMessage[] {
  const when = (m: InboundMessage): number => {
    const sent = m.communication.sent ? Date.parse(m.communication.sent) : Number.NaN;
    return Number.isNaN(sent) ? m.receivedAt.getTime() : sent;
  };
  return messages
    .map((m, i) => ({ m, i }))
    .sort((a, b) => when(a.m) - when(b.m) || a.i - b.i)
    .map(({ m }) => m);
}

/** The staff view of one stored reply. */
export function replyView(m: InboundMessage): ReplyView {
  const c = m.communication;
  const text = (c.payload ?? []).flatMap((p) =>
    typeof p.contentString === 'string' ? [p.contentString] : [],
  );
  const from = c.sender?.display ?? c.sender?.identifier?.value ?? c.sender?.reference ?? m.origin;
  return {
    id: m.id,
    receivedAt: m.receivedAt.toISOString(),
    from,
    via: m.channel,
    text: text.join('\n\n'),
    inReplyTo: inReplyToView(m.inReplyTo),
    handled: m.handledAt !== null,
    ...(m.handledAt ? { handledAt: m.handledAt.toISOString() } : {}),
    ...(m.handledBy ? { handledBy: m.handledBy } : {}),
  };
}

function inReplyToView(stored: string | null): ReplyView['inReplyTo'] {
  const [kind, ...rest] = (stored ?? '').split(':');
  const id = rest.join(':');
  return (kind === 'update' || kind === 'referral') && id ? { kind, id } : null;
}

export type MarkHandledResult = { status: 'handled'; reply: ReplyView } | { status: 'not-found' };

/**
 * Marks a reply of the referral (or an unlinked one) handled; the first mark stays. The change is
 * audited (who marked which reply) in the same transaction.
 */
export async function markReplyHandled(
  deps: AuditedReadDeps,
  referralId: string,
  messageId: string,
  actor: string,
): Promise<MarkHandledResult> {
  return deps.store.transaction(async (tx) => {
    const message = await tx.getInboundMessage(messageId);
    const referral = await tx.getRecord('referral', referralId);
    if (!referral || !message || (message.referralId !== null && message.referralId !== referralId)) {
      return { status: 'not-found' };
    }
    const now = deps.clock();
    const marked = await tx.markInboundHandled(messageId, actor, now);
    if (!marked) return { status: 'not-found' };
    if (message.handledAt === null) {
      await tx.appendAudit(
        buildRecordAudit({
          id: (deps.newId ?? randomUUID)(),
          recorded: now,
          actor,
          kind: 'reply handled',
          recordId: messageId,
          version: 1,
          created: false,
          patientMrn: message.patientMrn,
        }),
        message.patientMrn,
      );
    }
    return { status: 'handled', reply: replyView(marked) };
  });
}
