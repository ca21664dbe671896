import type { ConsentRecord, IntegrationUpdate, Referral, ShareCode } from '../../domain/records';
import { resourceId } from '../../mapping';
import { displayName } from '../../mapping/names';
import { readerOf, recordRead, type AccessReader, type AuditedReadDeps } from '../audited-reads';
import { recipientHistory } from '../consent-history';
import type { DeliveryAttempt, OutboxRow, Store } from '../ports/store-port';
import { consentStanding, type ConsentStanding } from './consent-standing';

/**
 * One referral as the practice follows it (DESIGN.md §1 steps 1–5, §6): who referred the client,
 * the consents on file and where each stands, every integration update with the delivery rows
 * behind it and each attempt's answer. The client appears by MRN only; the name is a separate,
 * separately audited read ({@link readClientName}). Reading the view is a read of PHI, audited
 * before it is answered (45 CFR 164.312(b)); a miss is audited too (someone asked).
 */
export interface DeliveryView {
  row: OutboxRow;
  attempts: DeliveryAttempt[];
}

export interface UpdateView {
  id: string;
  sessionDate: string;
  sessionNumber: number;
  writtenAt: string;
  author: string;
  /** The share codes of the sections the update has (never their text). */
  sections: ShareCode[];
  deliveries: DeliveryView[];
}

export interface ReferralView {
  id: string;
  receivedAt: string;
  source: Referral['source'];
  clientMrn: string;
  priority?: string;
  clinician: {
    name: string;
    npi: string;
    role: string;
    organization?: string;
    destination?: string;
  };
  consents: ConsentStanding[];
  updates: UpdateView[];
  /** The referral's other rows: its ServiceRequest and Consents. */
  otherDeliveries: DeliveryView[];
}

export type ReferralViewDeps = AuditedReadDeps & { timeZone: string };

/** The view of referral `id`, or `undefined` when there is none; the read is audited either way. */
export async function readReferralView(
  deps: ReferralViewDeps,
  id: string,
  reader: AccessReader | string,
): Promise<ReferralView | undefined> {
  const stored = await deps.store.getRecord('referral', id);
  const referral = stored?.json as Referral | undefined;
  const mrns = referral ? [referral.client.mrn] : [];
  await recordRead(deps.store, deps, readerOf(reader), {
    what: 'referral',
    patientMrns: mrns,
    outcome: referral ? '0' : '4',
  });
  return referral ? buildView(deps, referral) : undefined;
}

/** The client's name on referral `id` (a click on the dashboard), audited as its own read. */
export async function readClientName(
  deps: AuditedReadDeps,
  id: string,
  reader: AccessReader | string,
): Promise<{ mrn: string; name: string } | undefined> {
  const referral = (await deps.store.getRecord('referral', id))?.json as Referral | undefined;
  await recordRead(deps.store, deps, readerOf(reader), {
    what: 'client-name',
    patientMrns: referral ? [referral.client.mrn] : [],
    outcome: referral ? '0' : '4',
  });
  return referral && { mrn: referral.client.mrn, name: displayName(referral.client.name) };
}

async function buildView(deps: ReferralViewDeps, referral: Referral): Promise<ReferralView> {
  const mrn = referral.client.mrn;
  const [consentRecords, updateRecords, rows] = await Promise.all([
    deps.store.listRecords({ kind: 'consent', patientMrn: mrn }),
    deps.store.listRecords({ kind: 'update', patientMrn: mrn }),
    deps.store.listOutbox({ patientMrn: mrn }),
  ]);
  const consents = consentRecords
    .map((r) => r.json as ConsentRecord)
    .filter((c) => c.referralId === referral.id);
  const updates = updateRecords
    .map((r) => r.json as IntegrationUpdate)
    .filter((u) => u.referralId === referral.id)
    .sort((a, b) => b.sessionDate.localeCompare(a.sessionDate) || b.sessionNumber - a.sessionNumber);
  const deliveries = (resource: string) =>
    withAttempts(
      deps.store,
      rows.filter((r) => key(r) === resource),
    );
  // The referral, its status changes (the Task, one version per change, DESIGN.md §6b) and the consents.
  const own = [
    `ServiceRequest/${resourceId.serviceRequest(referral.id)}`,
    `Task/${resourceId.referralTask(referral.id)}`,
    ...consents.map((c) => `Consent/${resourceId.consent(c.id)}`),
  ];
  return {
    id: referral.id,
    receivedAt: referral.receivedAt,
    source: referral.source,
    clientMrn: mrn,
    ...(referral.priority ? { priority: referral.priority } : {}),
    clinician: clinicianOf(referral),
    consents: await standings(deps, mrn, consents),
    updates: await Promise.all(
      updates.map(async (u) => ({
        id: u.id,
        sessionDate: u.sessionDate,
        sessionNumber: u.sessionNumber,
        writtenAt: u.writtenAt,
        author: displayName(u.author.name),
        sections: sectionsOf(u),
        deliveries: await deliveries(`Communication/${resourceId.communication(u.id)}`),
      })),
    ),
    otherDeliveries: (await Promise.all(own.map(deliveries))).flat(),
  };
}

function clinicianOf(referral: Referral): ReferralView['clinician'] {
  const c = referral.referringClinician;
  return {
    name: displayName(c.name),
    npi: c.npi,
    role: c.role,
    ...(c.organization ? { organization: c.organization.name } : {}),
    ...(c.destination ? { destination: c.destination } : {}),
  };
}

const key = (row: OutboxRow) => `${row.resourceType}/${row.resourceId}`;

function withAttempts(store: Store, rows: OutboxRow[]): Promise<DeliveryView[]> {
  return Promise.all(rows.map(async (row) => ({ row, attempts: await store.listAttempts(row.id) })));
}

async function standings(deps: ReferralViewDeps, mrn: string, consents: ConsentRecord[]) {
  const now = deps.clock();
  return Promise.all(
    consents
      .sort((a, b) => Date.parse(b.signedAt) - Date.parse(a.signedAt))
      .map(async (c) => {
        const history = await recipientHistory(deps.store, mrn, c.recipientNpi);
        const stored = await deps.store.getResource('Consent', resourceId.consent(c.id));
        const status = (stored?.resource as { status?: string } | undefined)?.status;
        return consentStanding(c, history, status, now, deps.timeZone);
      }),
  );
}

/** The share codes of the sections present (DESIGN.md §2: one payload per share code present). */
function sectionsOf(u: IntegrationUpdate): ShareCode[] {
  return [
    ...(u.focus ? (['session-focus'] as const) : []),
    ...(u.observations && Object.values(u.observations).some(Boolean) ? (['observations'] as const) : []),
    ...(u.suggestions?.length ? (['integration-suggestions'] as const) : []),
  ];
}
