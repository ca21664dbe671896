import { randomUUID } from 'node:crypto';
import type { Communication, OperationOutcome } from '@medplum/fhirtypes';
import { buildReceiptAudit } from '../audit/receipt-audit';
import { issue, outcome } from '../fhir/outcomes';
import { readReply, type ReadReply, type ReplyTarget } from '../mapping/read-reply';
import { contentHash } from './content-hash';
import { destinationOf } from './ingest-referral';
import type { IngestDeps } from './ingest-types';
import { clinicianSenderIds, linkReply, type ReplyLink } from './link-reply';
import type { InboundMessage, StoreOps } from './ports/store-port';
import { validateAll } from './validate-resources';

/**
 * Receiving a referring clinician's reply (DESIGN.md §6b), pushed or pulled, stored the same way:
 * read and bounded (`read-reply`), validated by the project validator, linked to the referral,
 * client and update it answers, kept with its receipt AuditEvent in one transaction — or kept
 * unlinked for staff review, never dropped. Idempotent: the same reply (its identifier, or its id
 * on the server it was pulled from) is stored once. Nothing received is ever queued for delivery.
 *
 * Pushed replies come only with an API key bound to organisations (keys file `senders`): one
 * linked to a referral whose clinician's organisation (or NPI) is not among them is refused (403)
 * and nothing is stored — one health system's key cannot write into another's conversation.
 * Pulled replies come from a registered destination; one answering a referral that goes to
 * another destination is kept unlinked.
 */

export type SenderIds = ReadonlyArray<{ system: string; value: string }>;

/** Where a reply came from. */
export type ReplyOrigin =
  | { channel: 'push'; keyName: string; senders?: SenderIds }
  | {
      channel: 'pull';
      destinationId: string;
      /** Reads a resource the reply references literally on that server: its identifiers. */
      readRemote?: (type: string, id: string) => Promise<Array<{ system: string; value: string }>>;
    };

export type ReplyResult =
  | { status: 'created' | 'unchanged'; message: InboundMessage; outcome: OperationOutcome }
  | { status: 'rejected'; outcome: OperationOutcome; refusal?: 'forbidden' };

/** Thrown inside a store transaction to roll it back: the key may not speak for that clinician. */
export class ForbiddenReply extends Error {
  constructor() {
    super('forbidden');
  }
}

/** A reply read, validated and with its targets resolved: ready to be stored in a transaction. */
export interface PreparedReply {
  communication: Communication;
  read: ReadReply;
  targets: ReplyTarget[];
}

/** Receives one reply. Expected refusals are returned; only bugs and I/O errors throw. */
export async function receiveReply(
  deps: IngestDeps,
  resource: unknown,
  origin: ReplyOrigin,
): Promise<ReplyResult> {
  const prepared = await prepareReply(deps, resource, origin);
  if (!prepared.ok) return prepared.result;
  const now = deps.clock();
  try {
    return await deps.store.transaction((tx) => storeReplyWithin(deps, tx, prepared.value, origin, now));
  } catch (err) {
    if (err instanceof ForbiddenReply) return forbiddenReply();
    throw err;
  }
}

/**
 * Everything before the store: the key's binding, the bounds, the project validator and (for a
 * pulled reply) the identifiers behind its literal references. No write.
 */
export async function prepareReply(
  deps: IngestDeps,
  resource: unknown,
  origin: ReplyOrigin,
): Promise<{ ok: true; value: PreparedReply } | { ok: false; result: ReplyResult }> {
  if (origin.channel === 'push' && origin.senders === undefined)
    return { ok: false, result: forbidden(UNBOUND) };
  const read = readReply(resource);
  if (!read.ok) return { ok: false, result: { status: 'rejected', outcome: read.outcome } };
  const communication = resource as Communication;
  const checked = validateAll(deps.validator, [communication], () => 'Communication');
  if (!checked.ok) return { ok: false, result: { status: 'rejected', outcome: checked.outcome } };
  const targets =
    origin.channel === 'pull' ? await remoteTargets(read.value.targets, origin) : read.value.targets;
  return { ok: true, value: { communication, read: read.value, targets } };
}

/**
 * Links and stores a prepared reply inside the caller's transaction (several replies of one FHIR
 * `transaction` commit together). Throws {@link ForbiddenReply} when the key may not speak for
 * the clinician of the referral it answers: the caller rolls back and answers 403.
 */
export async function storeReplyWithin(
  deps: IngestDeps,
  tx: StoreOps,
  prepared: PreparedReply,
  origin: ReplyOrigin,
  now: Date,
): Promise<ReplyResult> {
  const link = await allowedLink(deps, tx, prepared.targets, origin);
  return store(tx, prepared.communication, prepared.read, link, origin, now);
}

/** The 403 answer to a reply from a key not bound to the clinician's organisation. */
export function forbiddenReply(): ReplyResult {
  return forbidden(NOT_BOUND);
}

const UNBOUND =
  'Replies are taken only with an API key bound to the clinician’s organisation (keys file "senders").';
const NOT_BOUND =
  'This API key is not bound to the organisation of the clinician this reply is addressed from (keys file "senders").';

function forbidden(text: string): ReplyResult {
  return { status: 'rejected', refusal: 'forbidden', outcome: outcome([issue({ code: 'forbidden', text })]) };
}

/** Literal references of a pulled reply point at that server's ids: read their identifiers there. */
async function remoteTargets(
  targets: readonly ReplyTarget[],
  origin: Extract<ReplyOrigin, { channel: 'pull' }>,
): Promise<ReplyTarget[]> {
  const out: ReplyTarget[] = [];
  for (const t of targets) {
    if (t.kind === 'identifier' || !origin.readRemote) {
      if (t.kind === 'identifier') out.push(t);
      continue;
    }
    for (const id of await origin.readRemote(t.type, t.id))
      out.push({ kind: 'identifier', type: t.type, ...id });
  }
  return out;
}

async function allowedLink(
  deps: IngestDeps,
  tx: StoreOps,
  targets: readonly ReplyTarget[],
  origin: ReplyOrigin,
): Promise<ReplyLink | undefined> {
  const link = await linkReply(tx, targets);
  if (!link) return undefined;
  if (origin.channel === 'push') {
    const allowed = clinicianSenderIds(link.referral);
    const bound = (origin.senders ?? []).some((s) =>
      allowed.some((a) => a.system === s.system && a.value === s.value),
    );
    if (!bound) throw new ForbiddenReply();
    return link;
  }
  // A pulled reply belongs to a referral whose items go to the destination it came from.
  return destinationOf(deps, link.referral).destinationId === origin.destinationId ? link : undefined;
}

/**
 * What makes a reply the same reply again, within what it came through (an API key, a
 * destination) — so no sender can pre-empt another's reply by reusing its identifier: its own
 * identifier, else its id on the server it was pulled from, else its content.
 */
export function replySourceKey(read: ReadReply, communication: Communication, origin: ReplyOrigin): string {
  const from = origin.channel === 'push' ? `push|${origin.keyName}` : `pull|${origin.destinationId}`;
  if (read.identifier) return `${from}|id|${read.identifier.system}|${read.identifier.value}`;
  if (origin.channel === 'pull' && communication.id) return `${from}|${communication.id}`;
  return `${from}|content|${contentHash(communication)}`;
}

async function store(
  tx: StoreOps,
  communication: Communication,
  read: ReadReply,
  link: ReplyLink | undefined,
  origin: ReplyOrigin,
  now: Date,
): Promise<ReplyResult> {
  const from = origin.channel === 'push' ? origin.keyName : origin.destinationId;
  const { message, created } = await tx.putInboundMessage({
    sourceKey: replySourceKey(read, communication, origin),
    channel: origin.channel,
    origin: from,
    referralId: link?.referral.id ?? null,
    patientMrn: link?.referral.client.mrn ?? null,
    inReplyTo: link?.inReplyTo ?? null,
    receivedAt: now,
    communication,
  });
  if (!created)
    return {
      status: 'unchanged',
      message,
      outcome: info('This reply was already received: nothing changed.'),
    };
  const mrn = message.patientMrn ?? undefined;
  await tx.appendAudit(
    buildReceiptAudit({
      id: randomUUID(),
      recorded: now,
      from,
      channel: origin.channel,
      messageId: message.id,
      ...(message.referralId ? { referralId: message.referralId } : {}),
      ...(mrn ? { patientMrn: mrn } : {}),
    }),
    message.patientMrn,
  );
  // The same answer linked or not: the sender learns nothing about the practice's records.
  return { status: 'created', message, outcome: info('Reply received.') };
}

function info(text: string): OperationOutcome {
  return outcome([issue({ severity: 'information', code: 'informational', text })]);
}
