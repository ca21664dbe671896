import type { Consent, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { decideFor } from '../consent';
import { isEarlier, lateBecause, refuseChangeAfterRevocation } from '../domain/consent-lifecycle';
import { checkConsentAgainstReferral } from '../domain/cross-record';
import { parseConsent } from '../domain/parse-records';
import type { ConsentRecord, Referral } from '../domain/records';
import { mapConsent, resourceId } from '../mapping';
import { STATE } from '../outbox';
import type { StoredRecord, StoredResource, StoreOps } from './ports/store-port';
import { putIfChanged, runIngest, withId, type Effects, type Prepared } from './ingest-pipeline';
import { validateAll } from './validate-resources';
import type { IngestContext, IngestDeps, IngestResult } from './ingest-types';
import { recipientHistory } from './consent-history';
import { destinationOf } from './ingest-referral';
import { enqueueItem, patientConsents, reevaluatePending, rowsOfResource } from './outbox-planner';

/**
 * Ingest a consent (DESIGN.md §2, §5): it must belong to a known referral; it is stored as a
 * Consent; an older active consent of the same client for the same recipient becomes `inactive`
 * (superseded, a new version — never a delete); the Consent is queued for the clinician when any
 * code is shared with them; and the client's items waiting for a consent are decided again.
 * The lifecycle rules (§5) come first: a consent a revocation ended is final (a changed re-post
 * is refused with `conflict`), and a consent signed before a newer consent or a revocation on
 * file for its recipient is stored `inactive` without any of the effects above.
 */
export function ingestConsent(
  deps: IngestDeps,
  input: unknown,
  ctx: IngestContext = {},
): Promise<IngestResult> {
  return runIngest<ConsentRecord>(
    deps,
    {
      kind: 'consent',
      label: 'consent',
      parse: parseConsent,
      idOf: (c) => c.id,
      recordedAt: (c) => ({ field: 'signedAt', at: c.signedAt }),
      prepare: (tx, consent, now, stored) => prepareConsent(deps, tx, consent, now, stored),
    },
    input,
    ctx,
  );
}

async function prepareConsent(
  deps: IngestDeps,
  tx: StoreOps,
  record: ConsentRecord,
  now: Date,
  asStored: StoredRecord | null,
): Promise<Prepared> {
  const referral = (await tx.getRecord('referral', record.referralId))?.json as Referral | undefined;
  const refused = checkConsentAgainstReferral(record, referral) ?? (await refuseIfEnded(tx, asStored));
  if (refused || !referral) return { ok: false, outcome: refused ?? unreachable() };
  const history = await recipientHistory(tx, record.clientMrn, record.recipientNpi);
  const late = lateBecause(record, history);
  const mapped = mapConsent(record, referral, deps.mapping);
  // A late consent is kept (it was signed) but as superseded: it must never govern (§5 lifecycle).
  const consent: Consent = late ? { ...mapped.consent, status: 'inactive' } : mapped.consent;
  const resources: Resource[] = [
    consent,
    mapped.patient,
    mapped.practitioner,
    mapped.practice,
    ...(mapped.relatedPerson ? [mapped.relatedPerson] : []),
  ];
  const superseded = late ? [] : await supersededBy(tx, record, history.consents);
  const checked = validateAll(deps.validator, [...resources, ...superseded]);
  if (!checked.ok) return checked;
  const mrn = record.clientMrn;
  const { destinationId, warnings } = destinationOf(deps, referral);
  const target = { patientMrn: mrn, recipientNpi: record.recipientNpi, destinationId, now };
  return {
    ok: true,
    patientMrn: mrn,
    warnings: [...checked.warnings, ...warnings],
    write: async (wtx) => {
      const stored: StoredResource[] = [];
      for (const r of resources) stored.push(await putIfChanged(wtx, withId(r), mrn, now));
      const first = stored[0];
      if (!first) throw new Error('consent mapping produced no Consent');
      if (late) return writeLate(wtx, record.id, first, target, late);
      const effects: Effects = { outbox: [], changed: [] };
      for (const old of superseded) {
        const s = await putIfChanged(wtx, withId(old), mrn, now);
        merge(effects, await enqueueConsentChange(wtx, s, target));
      }
      // The client's Consents as now stored: read once for the new Consent's own decision and
      // for re-deciding the waiting items (queueing rows changes no Consent in between).
      const consents = await patientConsents(wtx, mrn);
      merge(effects, await enqueueConsentIfShared(wtx, first, target, deps.timeZone, consents));
      effects.changed.push(...(await reevaluatePending(wtx, mrn, now, deps.timeZone, consents)));
      return effects;
    },
  };
}

/**
 * A consent a revocation ended is final (§5 lifecycle): a changed re-post is refused (an
 * identical one never gets here — it is `unchanged`). Judged against the record as stored, so
 * a re-post cannot escape by naming another recipient or a later `signedAt`.
 */
async function refuseIfEnded(
  tx: StoreOps,
  storedRecord: StoredRecord | null,
): Promise<OperationOutcome | undefined> {
  const stored = storedRecord?.json as ConsentRecord | undefined;
  if (!stored) return undefined;
  return refuseChangeAfterRevocation(
    stored,
    await recipientHistory(tx, stored.clientMrn, stored.recipientNpi),
  );
}

/**
 * A late consent is stored `inactive` and nothing new goes to the clinician: it never governed,
 * so there is nothing to tell them. Only when an earlier version of the same id was (or was to
 * be) sent does its inactive version follow, so their copy stops claiming it is in force.
 */
async function writeLate(
  tx: StoreOps,
  consentId: string,
  consent: StoredResource,
  target: Target,
  late: string,
): Promise<Effects> {
  const effects = await enqueueConsentChange(tx, consent, target);
  const sent =
    effects.outbox.length > 0
      ? `its inactive version is queued for ${target.destinationId}`
      : 'nothing is sent';
  const headline =
    `consent ${consentId} stored as inactive (superseded, version ${consent.versionId}): ${late}; ` +
    `it never governs and ${sent}`;
  return { ...effects, headline };
}

export interface Target {
  patientMrn: string;
  recipientNpi: string;
  destinationId: string;
  now: Date;
}

/** The Consent goes out whenever any code is shared with its recipient (DESIGN.md §2). */
async function enqueueConsentIfShared(
  tx: StoreOps,
  consent: StoredResource,
  t: Target,
  timeZone: string,
  consents: Consent[],
): Promise<Effects> {
  const decision = decideFor(consent.resource as Consent, consents, t.recipientNpi, t.now, timeZone);
  if (decision.decision !== 'permit') return { outbox: [], changed: [] };
  const r = await enqueueItem(tx, {
    stored: consent,
    ...t,
    state: STATE.queued,
    consentRef: decision.consent,
    deadline: null,
  });
  return { outbox: r.created ? [r.row] : [], changed: r.cancelled };
}

/**
 * A revoked or superseded version goes out when an earlier version was (or was to be) sent, so
 * the clinician's copy turns `inactive` (conditional update, DESIGN.md §2). It is a notice that
 * sharing stopped, so it is queued regardless of what the consent now permits; its consentRef is
 * the inactive version itself.
 */
export async function enqueueConsentChange(
  tx: StoreOps,
  stored: StoredResource,
  t: Target,
): Promise<Effects> {
  const earlier = (await rowsOfResource(tx, t.patientMrn, 'Consent', stored.id)).filter(
    (r) =>
      r.destinationId === t.destinationId &&
      r.resourceVersion < stored.versionId &&
      r.state !== STATE.cancelled,
  );
  if (earlier.length === 0) return { outbox: [], changed: [] };
  const consentRef = `Consent/${stored.id}/_history/${stored.versionId}`;
  const r = await enqueueItem(tx, { stored, ...t, state: STATE.queued, consentRef, deadline: null });
  return { outbox: r.created ? [r.row] : [], changed: r.cancelled };
}

/**
 * Older consents of the same client for the same recipient that are still active become
 * `inactive`: the newest consent replaces them (DESIGN.md §2), never deleted.
 */
async function supersededBy(
  tx: StoreOps,
  record: ConsentRecord,
  sameRecipient: ConsentRecord[],
): Promise<Consent[]> {
  const older = sameRecipient.filter((c) => c.id !== record.id && !isEarlier(record.signedAt, c.signedAt));
  const out: Consent[] = [];
  for (const other of older) {
    const latest = await tx.getResource('Consent', resourceId.consent(other.id));
    const consent = latest?.resource as Consent | undefined;
    if (consent?.status === 'active') out.push(withoutVersion({ ...consent, status: 'inactive' }));
  }
  return out;
}

function withoutVersion(c: Consent): Consent {
  const { versionId: _v, lastUpdated: _l, ...meta } = c.meta ?? {};
  return { ...c, meta };
}

function merge(into: Effects, more: Effects): void {
  into.outbox.push(...more.outbox);
  into.changed.push(...more.changed);
}

/** Returns an outcome type for a branch the cross-record check already excludes. */
function unreachable(): never {
  throw new Error('cross-record check passed without a referral');
}
