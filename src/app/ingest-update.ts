import type { Resource } from '@medplum/fhirtypes';
import { decideFor } from '../consent';
import { checkUpdateAgainstReferral } from '../domain/cross-record';
import { integrationWindowClose } from '../domain/integration-window';
import { parseIntegrationUpdate } from '../domain/parse-records';
import type { IntegrationUpdate, Referral } from '../domain/records';
import { mapIntegrationUpdate } from '../mapping';
import type { StoreOps } from './ports/store-port';
import { putIfChanged, runIngest, withId, type Prepared } from './ingest-pipeline';
import { validateAll } from './validate-resources';
import type { IngestContext, IngestDeps, IngestResult } from './ingest-types';
import { destinationOf } from './ingest-referral';
import { enqueueItem, patientConsents, stateFor } from './outbox-planner';

/**
 * Ingest an integration update (DESIGN.md §1 step 4, §2): it must refer to a known referral; it
 * is stored as a Communication with one payload per section, and queued with the decision for
 * its section codes and the integration-window close as its deadline (earliest first). The stored
 * Communication always points at the ServiceRequest literally: whether the clinician sees that
 * reference or a logical one is a consent decision, taken when sending (`delivery/based-on.ts`),
 * so a later consent that shares `referral-status` still applies.
 */
export function ingestUpdate(
  deps: IngestDeps,
  input: unknown,
  ctx: IngestContext = {},
): Promise<IngestResult> {
  const opts = deps.maxSectionLength === undefined ? {} : { maxSectionLength: deps.maxSectionLength };
  return runIngest<IntegrationUpdate>(
    deps,
    {
      kind: 'update',
      label: 'integration update',
      parse: (input) => parseIntegrationUpdate(input, opts),
      idOf: (u) => u.id,
      recordedAt: (u) => ({ field: 'writtenAt', at: u.writtenAt }),
      prepare: (tx, update, now) => prepareUpdate(deps, tx, update, now),
    },
    input,
    ctx,
  );
}

async function prepareUpdate(
  deps: IngestDeps,
  tx: StoreOps,
  update: IntegrationUpdate,
  now: Date,
): Promise<Prepared> {
  const referral = (await tx.getRecord('referral', update.referralId))?.json as Referral | undefined;
  const refused = checkUpdateAgainstReferral(update, referral);
  if (refused || !referral) return { ok: false, outcome: refused ?? unreachable() };
  const mrn = referral.client.mrn;
  const npi = referral.referringClinician.npi;
  const consents = await patientConsents(tx, mrn);
  const mapped = mapIntegrationUpdate(update, referral);
  const resources: Resource[] = [mapped.communication, mapped.author];
  const checked = validateAll(deps.validator, resources);
  if (!checked.ok) return checked;
  const { destinationId, warnings } = destinationOf(deps, referral);
  return {
    ok: true,
    patientMrn: mrn,
    warnings: [...checked.warnings, ...warnings],
    write: async (wtx) => {
      const communication = await putIfChanged(wtx, withId(mapped.communication), mrn, now);
      await putIfChanged(wtx, withId(mapped.author), null, now);
      const decision = decideFor(mapped.communication, consents, npi, now, deps.timeZone);
      const { row, created, cancelled } = await enqueueItem(wtx, {
        stored: communication,
        patientMrn: mrn,
        recipientNpi: npi,
        destinationId,
        state: stateFor(decision),
        consentRef: decision.consent,
        deadline: integrationWindowClose(update.sessionDate, deps.timeZone),
        now,
      });
      return { outbox: created ? [row] : [], changed: cancelled };
    },
  };
}

function unreachable(): never {
  throw new Error('cross-record check passed without a referral');
}
