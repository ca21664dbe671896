import type { Bundle, BundleEntry, Flag, OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { parseReferral } from '../domain/parse-records';
import type { Referral } from '../domain/records';
import { outcome } from '../fhir/outcomes';
import { resourceId } from '../mapping';
import { entryPath } from '../mapping/bundle-references';
import { bundleExpressionOf, type InboundReferral } from '../mapping/reverse-referral';
import type { StoreOps } from './ports/store-port';
import { ingestWithin, putIfChanged } from './ingest-pipeline';
import { validateAll } from './validate-resources';
import { referralSpec } from './ingest-referral';
import type { IngestDeps, IngestResult } from './ingest-types';
import { yieldToEventLoop } from './yield-to-event-loop';
import { demographicDifferences, demographicsFlag } from './demographics-review';
import { filedIssue, withoutUnsentMrns } from './inbound-answers';
import {
  clientOnFile,
  matchClient,
  possibleDuplicateFlag,
  type ClientMatch,
  type MatchResult,
} from './match-client';

/**
 * One inbound referral through the same ingest path as `POST /referrals`: match the client (or
 * assign an MRN), complete the practice referral, parse it with the practice rules, then store it
 * with its mapped FHIR form and outbox row — all inside the caller's transaction.
 */

/**
 * What a FHIR interaction answered (the HTTP layer's `FhirResult`): 200 + Bundle, or a refusal —
 * 422, or 403 (`forbidden`: a sender the API key is not bound to) or 413 (`too-long`: over the
 * batch cap); nothing is stored on a refusal.
 */
export type FhirIngestResult =
  | { status: 'processed'; response: Bundle }
  | { status: 'rejected'; outcome: OperationOutcome; refusal?: 'forbidden' | 'too-long' };

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

/**
 * Stores one inbound referral inside `tx`; a refusal is returned (the caller rolls back). The
 * answer is the same whether the client was on file or not and names no MRN the sender did not
 * send (see `inbound-answers.ts`); a matched client stays as stored, differences go to a Flag.
 */
export async function storeInboundReferral(
  deps: IngestDeps,
  tx: StoreOps,
  inbound: InboundReferral,
  now: Date,
  actor?: string,
): Promise<InboundResult> {
  const { draft } = inbound;
  const existing = (await tx.getRecord('referral', draft.id))?.json as Referral | undefined;
  const matched = await matchFor(tx, inbound, existing);
  const scrub = (issues: OperationOutcomeIssue[]) => withoutUnsentMrns(issues, inbound.practiceMrn);
  if (!matched.ok) return rejected(scrub(matched.issues), draft.id);
  const match = matched.match;
  const record: Referral = {
    ...draft,
    // A re-sent referral keeps its first receipt time, so the same content is a no-op.
    receivedAt: existing?.receivedAt ?? now.toISOString(),
    client: match.kind === 'existing' ? match.client : { ...draft.client, mrn: match.mrn },
  };
  // What the sender sent is held to the record's rules even when the client on file is used
  // instead: the same refusal either way (nothing learnt), and no megabyte of name in a Flag.
  const asSent =
    match.kind === 'existing'
      ? parseReferral({ ...record, client: { ...draft.client, mrn: match.mrn } })
      : undefined;
  if (asSent && !asSent.ok) return rejected(scrub(pointAtSender(asSent.outcome.issue, inbound)), draft.id);
  const parsed = parseReferral(record);
  if (!parsed.ok) return rejected(scrub(pointAtSender(parsed.outcome.issue, inbound)), draft.id);
  // Matching and mapping-plus-validation are the two long steps: let other callers in between.
  await yieldToEventLoop();
  const result = await ingestWithin(tx, referralSpec(deps), parsed.value, now, actor);
  if (result.status === 'rejected') return rejected(scrub(result.outcome.issue), draft.id);
  if (match.kind === 'new') await flagDuplicates(deps, tx, match, now);
  else await flagDifferences(deps, tx, draft, match, now);
  const sr = await tx.getResource('ServiceRequest', resourceId.serviceRequest(draft.id));
  return {
    result: { ...result, outcome: outcome([filedIssue(result.status)]) },
    ...(sr ? { location: `ServiceRequest/${sr.id}/_history/${sr.versionId}` } : {}),
    match,
  };
}

/** The client of a re-sent referral is the one it was filed under; otherwise client matching. */
async function matchFor(
  tx: StoreOps,
  inbound: InboundReferral,
  existing: Referral | undefined,
): Promise<MatchResult> {
  if (!existing) {
    const expression = `${entryPath(inbound.entries.patient)}.identifier`;
    return matchClient(tx, inbound.draft.client, inbound.practiceMrn, expression);
  }
  const mrn = existing.client.mrn;
  const client = (await clientOnFile(tx, mrn)) ?? existing.client;
  return { ok: true, match: { kind: 'existing', mrn, client, by: 'same-referral' } };
}

/** Refusals of the assembled practice record, re-pointed at the sender's elements. */
function pointAtSender(issues: OperationOutcomeIssue[], inbound: InboundReferral): OperationOutcomeIssue[] {
  return issues.map((i) => ({
    ...i,
    expression: (i.expression ?? ['']).map((e) => bundleExpressionOf(inbound.paths, e)),
  }));
}

async function storeFlag(
  deps: IngestDeps,
  tx: StoreOps,
  flag: Flag & { id: string },
  mrn: string,
  now: Date,
) {
  const checked = validateAll(deps.validator, [flag]);
  if (!checked.ok) throw new Error(`staff-review Flag is invalid: ${JSON.stringify(checked.outcome)}`);
  await putIfChanged(tx, flag, mrn, now);
}

/** Possible duplicates are flagged for staff on the new client; the sender is not told. */
async function flagDuplicates(
  deps: IngestDeps,
  tx: StoreOps,
  match: Extract<ClientMatch, { kind: 'new' }>,
  now: Date,
): Promise<void> {
  for (const existingMrn of match.possibleDuplicates) {
    await storeFlag(deps, tx, possibleDuplicateFlag(match.mrn, existingMrn, now), match.mrn, now);
  }
}

/** What the sender said differently about a client on file, flagged once for staff review. */
async function flagDifferences(
  deps: IngestDeps,
  tx: StoreOps,
  draft: InboundReferral['draft'],
  match: Extract<ClientMatch, { kind: 'existing' }>,
  now: Date,
): Promise<void> {
  const differences = demographicDifferences(draft.client, match.client);
  if (differences.length === 0) return;
  const flag = demographicsFlag(match.mrn, draft.id, differences, now);
  // Created once: a re-sent referral leaves the Flag (and its first date) as it is.
  if (await tx.getResource('Flag', flag.id)) return;
  await storeFlag(deps, tx, flag, match.mrn, now);
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
