import type { Resource } from '@medplum/fhirtypes';
import { decideFor } from '../consent';
import { parseReferralStatus } from '../domain/parse-records';
import type { Referral, ReferralStatusRecord } from '../domain/records';
import { checkStatusAgainstReferral, currentStatus } from '../domain/referral-status-rules';
import { mapReferralStatus } from '../mapping';
import type { StoreOps } from './ports/store-port';
import { putIfChanged, runIngest, withId, type Prepared } from './ingest-pipeline';
import { destinationOf, latestConsentIdFor } from './ingest-referral';
import type { IngestContext, IngestDeps, IngestResult } from './ingest-types';
import { enqueueItem, patientConsents, stateFor } from './outbox-planner';
import { statusChangesOf, statusRecordId } from './referral-status-history';
import { validateAll } from './validate-resources';

/**
 * Ingest a referral status change (DESIGN.md §6b, "did you take my referral?"): the ServiceRequest
 * gets the new status and the referral's `Task` (BSeR closed loop) a new version; both are queued
 * for the referring clinician under the `referral-status` share code, so they travel only when
 * the client shares referral status with that clinician (and are decided again before sending).
 * Stored as record kind `referral-status` with id `{referralId}@{at}`: re-posting the same change
 * is a no-op, and changes recorded out of order never roll the status back (the latest `at` wins).
 */
export function ingestReferralStatus(
  deps: IngestDeps,
  input: unknown,
  ctx: IngestContext = {},
): Promise<IngestResult> {
  return runIngest<ReferralStatusRecord>(
    deps,
    {
      kind: 'referral-status',
      label: 'referral status',
      parse: parseReferralStatus,
      idOf: statusRecordId,
      recordedAt: (s) => ({ field: 'at', at: s.at }),
      prepare: (tx, change, now) => prepareStatus(deps, tx, change, now),
    },
    input,
    ctx,
  );
}

/** `POST /referrals/{id}/status`: the referral id comes from the path, the rest from the body. */
export function recordReferralStatus(
  deps: IngestDeps,
  referralId: string,
  body: unknown,
  ctx: IngestContext = {},
): Promise<IngestResult> {
  const input =
    body !== null && typeof body === 'object' && !Array.isArray(body) ? { ...body, referralId } : body;
  return ingestReferralStatus(deps, input, ctx);
}

async function prepareStatus(
  deps: IngestDeps,
  tx: StoreOps,
  change: ReferralStatusRecord,
  now: Date,
): Promise<Prepared> {
  const referral = (await tx.getRecord('referral', change.referralId))?.json as Referral | undefined;
  const refused = checkStatusAgainstReferral(change, referral);
  if (refused || !referral) return { ok: false, outcome: refused ?? unreachable() };
  const others = (await statusChangesOf(tx, referral)).filter(
    (s) => statusRecordId(s) !== statusRecordId(change),
  );
  const current = currentStatus([...others, change]) ?? change;
  const consentId = await latestConsentIdFor(tx, referral);
  const mapped = mapReferralStatus(referral, current, {
    ...deps.mapping,
    ...(consentId ? { consentId } : {}),
  });
  const resources: Resource[] = [mapped.serviceRequest, mapped.task];
  const checked = validateAll(deps.validator, resources);
  if (!checked.ok) return checked;
  const mrn = referral.client.mrn;
  const npi = referral.referringClinician.npi;
  const { destinationId, warnings } = destinationOf(deps, referral);
  return {
    ok: true,
    patientMrn: mrn,
    warnings: [...checked.warnings, ...warnings],
    write: async (wtx) => {
      const consents = await patientConsents(wtx, mrn);
      const outbox = [];
      const changed = [];
      for (const r of [mapped.serviceRequest, mapped.task]) {
        const stored = await putIfChanged(wtx, withId(r), mrn, now);
        const decision = decideFor(r, consents, npi, now, deps.timeZone);
        const queued = await enqueueItem(wtx, {
          stored,
          patientMrn: mrn,
          recipientNpi: npi,
          destinationId,
          state: stateFor(decision),
          consentRef: decision.consent,
          deadline: null,
          now,
        });
        if (queued.created) outbox.push(queued.row);
        changed.push(...queued.cancelled);
      }
      return { outbox, changed };
    },
  };
}

function unreachable(): never {
  throw new Error('referral check passed without a referral');
}
