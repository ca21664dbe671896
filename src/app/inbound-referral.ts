import type { Bundle, BundleEntry, OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { parseReferral } from '../domain/parse-records';
import type { Referral } from '../domain/records';
import { issue, outcome } from '../fhir/outcomes';
import { resourceId } from '../mapping';
import { entryPath } from '../mapping/bundle-references';
import { bundleExpressionOf, type InboundReferral } from '../mapping/reverse-referral';
import type { StoreOps } from '../store/store-port';
import { ingestWithin, putIfChanged, validateAll } from './ingest-pipeline';
import { referralSpec } from './ingest-referral';
import type { IngestDeps, IngestResult } from './ingest-types';
import { matchClient, possibleDuplicateFlag, type ClientMatch } from './match-client';

/**
 * One inbound referral through the same ingest path as `POST /referrals`: match the client (or
 * assign an MRN), complete the practice referral, parse it with the practice rules, then store it
 * with its mapped FHIR form and outbox row — all inside the caller's transaction.
 */

/** What a FHIR interaction answered (the HTTP layer's `FhirResult`): 200 + Bundle, or 422. */
export type FhirIngestResult =
  { status: 'processed'; response: Bundle } | { status: 'rejected'; outcome: OperationOutcome };

/** The outcome of one referral: the ingest result plus where the ServiceRequest is stored. */
export interface InboundResult {
  result: IngestResult;
  /** `ServiceRequest/{id}/_history/{v}` of the stored ServiceRequest (absent when rejected). */
  location?: string;
  match?: ClientMatch;
}

/** Thrown inside a store transaction to roll it back with an expected refusal (caught by callers). */
export class Refusal extends Error {
  constructor(readonly outcome: OperationOutcome) {
    super('refused');
  }
}

function rejected(issues: OperationOutcomeIssue[], recordId?: string): InboundResult {
  const result: IngestResult = { status: 'rejected', outcome: outcome(issues), outbox: [], changed: [] };
  return { result: recordId ? { ...result, recordId } : result };
}

/** Stores one inbound referral inside `tx`; a refusal is returned (the caller rolls back). */
export async function storeInboundReferral(
  deps: IngestDeps,
  tx: StoreOps,
  inbound: InboundReferral,
  now: Date,
  actor?: string,
): Promise<InboundResult> {
  const { draft } = inbound;
  const existing = (await tx.getRecord('referral', draft.id))?.json as Referral | undefined;
  // A re-sent referral keeps its client and its first receipt time, so the same content is a no-op.
  const matched: { ok: true; match: ClientMatch } | { ok: false; issues: OperationOutcomeIssue[] } = existing
    ? { ok: true, match: { kind: 'existing', mrn: existing.client.mrn, by: 'same-referral' } }
    : await matchClient(
        tx,
        draft.client,
        inbound.practiceMrn,
        `${entryPath(inbound.entries.patient)}.identifier`,
      );
  if (!matched.ok) return rejected(matched.issues, draft.id);
  const match = matched.match;
  const record: Referral = {
    ...draft,
    receivedAt: existing?.receivedAt ?? now.toISOString(),
    client: { ...draft.client, mrn: match.mrn },
  };
  const parsed = parseReferral(record);
  if (!parsed.ok) return rejected(pointAtSender(parsed.outcome.issue, inbound), draft.id);
  const result = await ingestWithin(tx, referralSpec(deps), parsed.value, now, actor);
  if (result.status === 'rejected') return { result };
  const warnings = match.kind === 'new' ? await flagDuplicates(deps, tx, match, now) : [];
  const sr = await tx.getResource('ServiceRequest', resourceId.serviceRequest(draft.id));
  return {
    result: { ...result, outcome: outcome([...warnings, matchInfo(match), ...result.outcome.issue]) },
    ...(sr ? { location: `ServiceRequest/${sr.id}/_history/${sr.versionId}` } : {}),
    match,
  };
}

/** Refusals of the assembled practice record, re-pointed at the sender's elements. */
function pointAtSender(issues: OperationOutcomeIssue[], inbound: InboundReferral): OperationOutcomeIssue[] {
  return issues.map((i) => ({
    ...i,
    expression: (i.expression ?? ['']).map((e) => bundleExpressionOf(inbound.paths, e)),
  }));
}

const MATCHED_BY = {
  'practice-mrn': 'practice MRN',
  'referrer-patient-id': "the referrer's patient id",
  'same-referral': 'the referral already on file',
} as const;

function matchInfo(match: ClientMatch): OperationOutcomeIssue {
  const text =
    match.kind === 'existing'
      ? `client matched to ${match.mrn} by ${MATCHED_BY[match.by]}`
      : `new client: MRN ${match.mrn} assigned`;
  return issue({ severity: 'information', code: 'informational', text });
}

async function flagDuplicates(
  deps: IngestDeps,
  tx: StoreOps,
  match: Extract<ClientMatch, { kind: 'new' }>,
  now: Date,
): Promise<OperationOutcomeIssue[]> {
  const out: OperationOutcomeIssue[] = [];
  for (const existingMrn of match.possibleDuplicates) {
    const flag = possibleDuplicateFlag(match.mrn, existingMrn, now);
    const checked = validateAll(deps.validator, [flag]);
    if (!checked.ok)
      throw new Error(`possible-duplicate Flag is invalid: ${JSON.stringify(checked.outcome)}`);
    await putIfChanged(tx, flag, match.mrn, now);
    const text = `possible duplicate: ${match.mrn} has the same name and birth date as ${existingMrn} but no shared identifier; stored as a new client and flagged (Flag/${flag.id}) for a person to resolve — nothing was merged`;
    out.push(issue({ severity: 'warning', code: 'duplicate', text }));
  }
  return out;
}

/** A Bundle response entry for one referral's ServiceRequest entry. */
export function responseEntry(r: InboundResult): BundleEntry {
  const status =
    r.result.status === 'created'
      ? '201 Created'
      : r.result.status === 'rejected'
        ? '422 Unprocessable Entity'
        : '200 OK';
  return {
    response: { status, ...(r.location ? { location: r.location } : {}), outcome: r.result.outcome },
  };
}
