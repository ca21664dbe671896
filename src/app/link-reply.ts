import type { IntegrationUpdate, Referral } from '../domain/records';
import { IDENTIFIER_SYSTEM } from '../fhir/canonical';
import { mapReferrerOrganization, npiIdentifier } from '../mapping/people';
import type { ReplyTarget } from '../mapping/read-reply';
import { businessIdentifier } from '../outbox/business-identifier';
import type { StoreOps } from './ports/store-port';

/**
 * Linking a reply to what it answers (DESIGN.md §6b): each target the reply names is looked up
 * by the practice's own business identifiers — an integration update's, the referral's filler id,
 * or its status Task's — or, for a literal reference to the practice's own ids (a pushed reply),
 * by the stored resource's identifier. Lookups by record id only (no scans): the cost of a reply
 * does not grow with the number of clients. The first target that resolves decides.
 */

export interface ReplyLink {
  referral: Referral;
  /** What it answers: `update:<id>` or `referral:<id>` (the referral itself, or its status). */
  inReplyTo: string;
}

/** An identifier target, as the practice assigned it. */
type IdentifierTarget = Extract<ReplyTarget, { kind: 'identifier' }>;

/** The first target of `targets` that names one of the practice's updates or referrals. */
export async function linkReply(
  tx: StoreOps,
  targets: readonly ReplyTarget[],
): Promise<ReplyLink | undefined> {
  for (const target of targets) {
    const byIdentifier = target.kind === 'identifier' ? target : await localIdentifier(tx, target);
    const link = byIdentifier && (await linkByIdentifier(tx, byIdentifier));
    if (link) return link;
  }
  return undefined;
}

/** A literal `Type/id` of the practice's own store, read as the identifier it was sent with. */
async function localIdentifier(
  tx: StoreOps,
  target: Extract<ReplyTarget, { kind: 'literal' }>,
): Promise<IdentifierTarget | undefined> {
  const stored = await tx.getResource(target.type, target.id);
  const id = stored && businessIdentifier(stored.resource);
  if (!id) return undefined;
  // A ServiceRequest is sent on the referrer's placer id first; the filler id is the practice's.
  const filler =
    target.type === 'ServiceRequest'
      ? (stored.resource as { identifier?: Array<{ system?: string; value?: string }> }).identifier?.find(
          (i) => i.system === IDENTIFIER_SYSTEM.referral,
        )
      : undefined;
  const chosen = filler?.system && filler.value ? { system: filler.system, value: filler.value } : id;
  return { kind: 'identifier', type: target.type, ...chosen };
}

async function linkByIdentifier(tx: StoreOps, id: IdentifierTarget): Promise<ReplyLink | undefined> {
  if (id.system === IDENTIFIER_SYSTEM.integrationUpdate) {
    const update = (await tx.getRecord('update', id.value))?.json as IntegrationUpdate | undefined;
    const referral = update && (await referralById(tx, update.referralId));
    return referral && update ? { referral, inReplyTo: `update:${update.id}` } : undefined;
  }
  if (id.system === IDENTIFIER_SYSTEM.referral || id.system === IDENTIFIER_SYSTEM.referralTask) {
    const referral = await referralById(tx, id.value);
    return referral ? { referral, inReplyTo: `referral:${referral.id}` } : undefined;
  }
  return undefined;
}

async function referralById(tx: StoreOps, id: string): Promise<Referral | undefined> {
  return (await tx.getRecord('referral', id))?.json as Referral | undefined;
}

/**
 * The identifiers a key must be bound to (keys file `senders`) to speak for the referral's
 * clinician: their organisation's (NPI, or the practice's name-based identifier), or their own NPI.
 */
export function clinicianSenderIds(referral: Referral): Array<{ system: string; value: string }> {
  const c = referral.referringClinician;
  const org = c.organization ? (mapReferrerOrganization(c.organization).identifier ?? []) : [];
  const ids = [...org, npiIdentifier(c.npi)];
  return ids.flatMap((i) => (i.system && i.value ? [{ system: i.system, value: i.value }] : []));
}
