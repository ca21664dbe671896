import type { Consent, OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { endedWith } from '../domain/consent-lifecycle';
import { checkRevocationAgainstConsent } from '../domain/cross-record';
import { parseRevocation } from '../domain/parse-records';
import type { ConsentRecord, Referral, RevocationRecord } from '../domain/records';
import { errorOutcome } from '../fhir/outcomes';
import { mapRevocation, resourceId } from '../mapping';
import type { OutboxRow, StoredResource, StoreOps } from './ports/store-port';
import { enqueueConsentChange } from './ingest-consent';
import { putIfChanged, runIngest, withId, type Effects, type Prepared } from './ingest-pipeline';
import { validateAll } from './validate-resources';
import type { IngestContext, IngestDeps, IngestResult } from './ingest-types';
import { destinationOf } from './ingest-referral';
import { reevaluatePending } from './outbox-planner';

/**
 * Ingest a revocation (DESIGN.md §1–§2): the client withdraws a consent. The Consent gets a new
 * version with status `inactive` (never a delete, 45 CFR 164.530(j) keeps it six years); if it
 * had gone (or was going) to the clinician, the inactive version is queued so their copy turns
 * inactive; and every item of the client not yet delivered is decided again — revocation stops
 * every disclosure that has not happened. Stored as record kind `revocation` under the consent's id.
 * It ends, as of `revokedAt`, every other consent of the client for the same recipient signed
 * before it too (§5 "Consent lifecycle": "stop sharing with Dr X" means all of it), each the same
 * way; consents for other recipients, and consents signed after `revokedAt`, are untouched.
 */
export function ingestRevocation(
  deps: IngestDeps,
  input: unknown,
  ctx: IngestContext = {},
): Promise<IngestResult> {
  return runIngest<RevocationRecord>(
    deps,
    {
      kind: 'revocation',
      label: 'revocation of consent',
      parse: parseRevocation,
      idOf: (r) => r.consentId,
      recordedAt: (r) => ({ field: 'revokedAt', at: r.revokedAt }),
      prepare: (tx, revocation, now) => prepareRevocation(deps, tx, revocation, now),
    },
    input,
    ctx,
  );
}

/** `POST /consents/{id}/revoke`: the consent id comes from the path, the rest from the body. */
export function revokeConsent(
  deps: IngestDeps,
  consentId: string,
  body: unknown,
  ctx: IngestContext = {},
): Promise<IngestResult> {
  const input =
    body !== null && typeof body === 'object' && !Array.isArray(body) ? { ...body, consentId } : body;
  return ingestRevocation(deps, input, ctx);
}

async function prepareRevocation(
  deps: IngestDeps,
  tx: StoreOps,
  revocation: RevocationRecord,
  now: Date,
): Promise<Prepared> {
  const record = (await tx.getRecord('consent', revocation.consentId))?.json as ConsentRecord | undefined;
  const refused = checkRevocationAgainstConsent(revocation, record);
  if (refused || !record)
    return { ok: false, outcome: refused ?? errorOutcome('not-found', 'consent not found') };
  const named = await revokedVersion(deps, tx, record, revocation);
  if (!named.ok) return named;
  const swept: Ended[] = [];
  const clientConsents = (await tx.listRecords({ kind: 'consent', patientMrn: record.clientMrn })).map(
    (r) => r.json as ConsentRecord,
  );
  for (const other of endedWith(revocation, record, clientConsents)) {
    const ended = await revokedVersion(deps, tx, other, revocation);
    if (!ended.ok) return ended;
    // Only a consent still in force gets a new version; a superseded one has already ended.
    if (ended.before === 'active') swept.push(ended);
  }
  const checked = validateAll(deps.validator, [named.consent, ...swept.map((e) => e.consent)]);
  if (!checked.ok) return checked;
  const mrn = record.clientMrn;
  return {
    ok: true,
    patientMrn: mrn,
    warnings: [...checked.warnings, ...named.warnings],
    write: async (wtx) => {
      const effects: Effects = { outbox: [], changed: [] };
      const stored = await storeEnded(wtx, named, mrn, now, effects);
      const namedQueued = effects.outbox.length > 0;
      for (const ended of swept) await storeEnded(wtx, ended, mrn, now, effects);
      effects.changed.push(...(await reevaluatePending(wtx, mrn, now, deps.timeZone)));
      const others = swept.map((e) => e.record.id);
      const line = { queued: namedQueued, alsoEnded: others };
      return {
        ...effects,
        headline: revocationHeadline(record.id, stored.versionId, named.destinationId, effects, line),
      };
    },
  };
}

/** A consent as the revocation leaves it, with where its clinician's copy lives. */
interface Ended {
  ok: true;
  record: ConsentRecord;
  consent: Consent;
  /** The status of the latest stored version before the revocation. */
  before: Consent['status'];
  destinationId: string;
  warnings: OperationOutcomeIssue[];
}

/** The revoked version of `record`'s latest Consent (§2: a new version, `inactive`). */
async function revokedVersion(
  deps: IngestDeps,
  tx: StoreOps,
  record: ConsentRecord,
  revocation: RevocationRecord,
): Promise<Ended | { ok: false; outcome: OperationOutcome }> {
  const latest = await tx.getResource('Consent', resourceId.consent(record.id));
  const referral = (await tx.getRecord('referral', record.referralId))?.json as Referral | undefined;
  if (!latest || !referral) {
    const text = `consent ${record.id} has no stored Consent or referral`;
    return { ok: false, outcome: errorOutcome('not-found', text, 'consentId') };
  }
  const before = (latest.resource as Consent).status;
  const consent = mapRevocation(latest.resource as Consent, revocation);
  const { destinationId, warnings } = destinationOf(deps, referral);
  return { ok: true, record, consent, before, destinationId, warnings };
}

/**
 * Stores the ended version and, when an earlier version was (or was to be) sent, queues it so the
 * clinician's copy turns inactive.
 */
async function storeEnded(
  tx: StoreOps,
  ended: Ended,
  patientMrn: string,
  now: Date,
  into: Effects,
): Promise<StoredResource> {
  const stored = await putIfChanged(tx, withId(ended.consent), patientMrn, now);
  const target = {
    patientMrn,
    recipientNpi: ended.record.recipientNpi,
    destinationId: ended.destinationId,
    now,
  };
  const more = await enqueueConsentChange(tx, stored, target);
  into.outbox.push(...more.outbox);
  into.changed.push(...more.changed);
  return stored;
}

/**
 * "consent CON-… revoked: Consent version 2 (inactive) queued for lakeside-ehr; earlier items: …".
 * The revocation record's own version (1) says nothing to a person; the Consent's new version and
 * whether the clinician's copy will turn inactive do.
 */
function revocationHeadline(
  consentId: string,
  consentVersion: number,
  destinationId: string,
  effects: { outbox: OutboxRow[]; changed: OutboxRow[] },
  { queued, alsoEnded }: { queued: boolean; alsoEnded: string[] },
): string {
  const where = queued
    ? `queued for ${destinationId}`
    : `not sent: ${destinationId} was never due a copy of this consent`;
  const counts = new Map<string, number>();
  for (const row of effects.changed) counts.set(row.state, (counts.get(row.state) ?? 0) + 1);
  const moved = [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
  const earlier = moved ? `; earlier items not yet delivered: ${moved}` : '';
  const also =
    alsoEnded.length > 0 ? `; also ended (signed before the revocation): ${alsoEnded.join(', ')}` : '';
  return `consent ${consentId} revoked: Consent version ${consentVersion} (inactive) ${where}${also}${earlier}`;
}
