import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { decideFor } from '../consent';
import { parseReferral } from '../domain/parse-records';
import type { ConsentRecord, Referral } from '../domain/records';
import { issue } from '../fhir/outcomes';
import { mapReferral } from '../mapping';
import type { StoreOps } from './ports/store-port';
import { runIngest, putIfChanged, withId, type IngestSpec, type Prepared } from './ingest-pipeline';
import { validateAll } from './validate-resources';
import type { IngestContext, IngestDeps, IngestResult } from './ingest-types';
import { enqueueItem, patientConsents, stateFor } from './outbox-planner';
import { statusInForce } from './referral-status-history';

/**
 * Ingest a referral (DESIGN.md §2): store it with its ServiceRequest, Patient, Practitioner,
 * PractitionerRole and Organizations; the ServiceRequest is the one item that may cross to the
 * clinician, and only when `referral-status` is shared — so its row waits for a consent
 * (`awaiting-consent`) until one is recorded.
 */
export function ingestReferral(
  deps: IngestDeps,
  input: unknown,
  ctx: IngestContext = {},
): Promise<IngestResult> {
  return runIngest<Referral>(deps, referralSpec(deps), input, ctx);
}

/** The referral ingest spec, also run inside a caller's transaction (inbound FHIR Bundles). */
export function referralSpec(deps: IngestDeps): IngestSpec<Referral> {
  return {
    kind: 'referral',
    label: 'referral',
    parse: parseReferral,
    idOf: (r) => r.id,
    prepare: (tx, referral, now, stored) => prepareReferral(deps, tx, referral, now, stored !== null),
  };
}

async function prepareReferral(
  deps: IngestDeps,
  tx: StoreOps,
  referral: Referral,
  now: Date,
  onFile: boolean,
): Promise<Prepared> {
  // A referral not on file yet has no consent and no status change: both are accepted only for
  // a stored referral (cross-record checks) and records are never deleted, so a first post (every
  // new referral, and each of an inbound batch's) does not read the client's records for them.
  const consentId = onFile ? await latestConsentIdFor(tx, referral) : undefined;
  // A changed referral keeps the status the practice recorded for it (DESIGN.md §6b).
  const status = onFile ? (await statusInForce(tx, referral))?.status : undefined;
  const mapped = mapReferral(referral, {
    ...deps.mapping,
    ...(consentId ? { consentId } : {}),
    ...(status ? { status } : {}),
  });
  const resources: Resource[] = [
    mapped.serviceRequest,
    mapped.patient,
    mapped.practitioner,
    mapped.practitionerRole,
    ...(mapped.organization ? [mapped.organization] : []),
    mapped.practice,
  ];
  const checked = validateAll(deps.validator, resources);
  if (!checked.ok) return checked;
  const mrn = referral.client.mrn;
  const { destinationId, warnings } = destinationOf(deps, referral);
  return {
    ok: true,
    patientMrn: mrn,
    warnings: [...checked.warnings, ...warnings],
    write: async (wtx) => {
      const stored = [];
      for (const r of resources) stored.push(await putIfChanged(wtx, withId(r), mrn, now));
      const sr = stored[0];
      if (!sr) throw new Error('referral mapping produced no ServiceRequest');
      const npi = referral.referringClinician.npi;
      const decision = decideFor(
        mapped.serviceRequest,
        await patientConsents(wtx, mrn),
        npi,
        now,
        deps.timeZone,
      );
      const { row, created, cancelled } = await enqueueItem(wtx, {
        stored: sr,
        patientMrn: mrn,
        recipientNpi: npi,
        destinationId,
        state: stateFor(decision),
        consentRef: decision.consent,
        deadline: null,
        now,
      });
      return { outbox: created ? [row] : [], changed: cancelled };
    },
  };
}

/** The latest consent recorded for this referral, so `supportingInfo` can point at it. */
export async function latestConsentIdFor(tx: StoreOps, referral: Referral): Promise<string | undefined> {
  const consents = await tx.listRecords({ kind: 'consent', patientMrn: referral.client.mrn });
  const mine = consents.map((c) => c.json as ConsentRecord).filter((c) => c.referralId === referral.id);
  mine.sort((a, b) => (a.signedAt < b.signedAt ? -1 : 1));
  return mine.at(-1)?.id;
}

/**
 * Where this referral's items go: the destination the referral names, else the configured default
 * (DESIGN.md §6: destinations are registered; incoming data only names one by id). Either one
 * not being registered is said at once: otherwise the items only show up later as waiting.
 */
export function destinationOf(
  deps: Pick<IngestDeps, 'defaultDestinationId' | 'knownDestinations'>,
  referral: Referral,
): { destinationId: string; warnings: OperationOutcomeIssue[] } {
  const named = referral.referringClinician.destination;
  const destinationId = named ?? deps.defaultDestinationId;
  const warnings: OperationOutcomeIssue[] = [];
  if (deps.knownDestinations && !deps.knownDestinations(destinationId)) {
    const which = named ? `destination "${named}"` : `the default destination "${destinationId}"`;
    warnings.push(
      issue({
        severity: 'warning',
        code: 'not-found',
        ...(named ? { expression: 'referringClinician.destination' } : {}),
        text: `${which} is not registered: items for it will wait until it is configured`,
      }),
    );
  }
  return { destinationId, warnings };
}
