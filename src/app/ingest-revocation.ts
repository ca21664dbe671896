import type { Consent } from '@medplum/fhirtypes';
import { checkRevocationAgainstConsent } from '../domain/cross-record';
import { parseRevocation } from '../domain/parse-records';
import type { ConsentRecord, Referral, RevocationRecord } from '../domain/records';
import { errorOutcome } from '../fhir/outcomes';
import { mapRevocation, resourceId } from '../mapping';
import type { OutboxRow, StoreOps } from '../store/store-port';
import { enqueueConsentChange } from './ingest-consent';
import { putIfChanged, runIngest, validateAll, withId, type Prepared } from './ingest-pipeline';
import type { IngestContext, IngestDeps, IngestResult } from './ingest-types';
import { destinationOf } from './ingest-referral';
import { reevaluatePending } from './outbox-planner';

/**
 * Ingest a revocation (DESIGN.md §1–§2): the client withdraws a consent. The Consent gets a new
 * version with status `inactive` (never a delete, 45 CFR 164.530(j) keeps it six years); if it
 * had gone (or was going) to the clinician, the inactive version is queued so their copy turns
 * inactive; and every item of the client not yet delivered is decided again — revocation stops
 * every disclosure that has not happened. Stored as record kind `revocation` under the consent's id.
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
  const latest = await tx.getResource('Consent', resourceId.consent(record.id));
  const referral = (await tx.getRecord('referral', record.referralId))?.json as Referral | undefined;
  if (!latest || !referral) {
    return {
      ok: false,
      outcome: errorOutcome(
        'not-found',
        `consent ${record.id} has no stored Consent or referral`,
        'consentId',
      ),
    };
  }
  const revoked = mapRevocation(latest.resource as Consent, revocation);
  const checked = validateAll(deps.validator, [revoked]);
  if (!checked.ok) return checked;
  const mrn = record.clientMrn;
  const { destinationId, warnings } = destinationOf(deps, referral);
  return {
    ok: true,
    patientMrn: mrn,
    warnings: [...checked.warnings, ...warnings],
    write: async (wtx) => {
      const stored = await putIfChanged(wtx, withId(revoked), mrn, now);
      const target = { patientMrn: mrn, recipientNpi: record.recipientNpi, destinationId, now };
      const effects = await enqueueConsentChange(wtx, stored, target);
      effects.changed.push(...(await reevaluatePending(wtx, mrn, now, deps.timeZone)));
      return {
        ...effects,
        headline: revocationHeadline(record.id, stored.versionId, destinationId, effects),
      };
    },
  };
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
): string {
  const where =
    effects.outbox.length > 0
      ? `queued for ${destinationId}`
      : `not sent: ${destinationId} was never due a copy of this consent`;
  const counts = new Map<string, number>();
  for (const row of effects.changed) counts.set(row.state, (counts.get(row.state) ?? 0) + 1);
  const moved = [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
  const earlier = moved ? `; earlier items not yet delivered: ${moved}` : '';
  return `consent ${consentId} revoked: Consent version ${consentVersion} (inactive) ${where}${earlier}`;
}
