import type { AccessReader } from './audited-reads';
import type { IngestDeps } from './ingest-types';
import { receiveReply, type ReplyOrigin, type ReplyResult } from './receive-reply';
import {
  markReplyHandled,
  readReferralMessages,
  type MarkHandledResult,
  type ReferralMessages,
} from './referral-messages';

/** The loop's use cases (DESIGN.md §6b) bound to their dependencies: what HTTP, the sync and the CLI call. */
export interface ReplyUseCases {
  /** A reply pushed (`POST /fhir/Communication`) or pulled from a destination. */
  receive(resource: unknown, origin: ReplyOrigin): Promise<ReplyResult>;
  /** `GET /referrals/{id}/messages` (audited read); null for an unknown referral. */
  messages(referralId: string, reader: AccessReader | string): Promise<ReferralMessages | null>;
  /** `POST /referrals/{id}/messages/{messageId}/handled`. */
  markHandled(referralId: string, messageId: string, actor: string): Promise<MarkHandledResult>;
}

export function createReplyUseCases(deps: IngestDeps): ReplyUseCases {
  return {
    receive: (resource, origin) => receiveReply(deps, resource, origin),
    messages: (referralId, reader) => readReferralMessages(deps, referralId, reader),
    markHandled: (referralId, messageId, actor) => markReplyHandled(deps, referralId, messageId, actor),
  };
}

export type { ReplyOrigin, ReplyResult } from './receive-reply';
export type { MarkHandledResult, ReferralMessages, ReplyView, StatusView } from './referral-messages';
