import { randomUUID } from 'node:crypto';
import type { OperationOutcome, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { provenanceForAuthored } from '../audit/provenance';
import { buildRecordAudit } from '../audit/record-audit';
import type { RecordKind } from '../domain/records';
import { issue, outcome } from '../fhir/outcomes';
import type { OutboxRow, StoredRecord, StoredResource, StoreOps } from './ports/store-port';
import { canonicalJson, contentHash } from './content-hash';
import { noteMrnInUse } from './match-client';
import { refuseFutureInstant, type RecordedAt } from './not-in-future';
import type { IngestContext, IngestDeps, IngestResult } from './ingest-types';

/**
 * The one shape every record ingest has (DESIGN.md §6, transactional outbox): parse → (in one
 * transaction) same id and content? no-op → cross-record checks, map, validate → store the
 * record, its FHIR form and its outbox rows. Every refusal happens before the first write, so a
 * refused record changes nothing.
 */

export type ParseResult<T> = { ok: true; value: T } | { ok: false; outcome: OperationOutcome };

/** What `prepare` decided: refuse, or the writes to make (run after the record is stored). */
export type Prepared =
  | { ok: false; outcome: OperationOutcome }
  | {
      ok: true;
      patientMrn: string;
      /** Non-blocking issues (validator warnings, an unregistered destination) for the outcome. */
      warnings: OperationOutcomeIssue[];
      write(tx: StoreOps, record: StoredRecord): Promise<Effects>;
    };

export interface Effects {
  outbox: OutboxRow[];
  changed: OutboxRow[];
  /**
   * What a person wants to know first, when the stored record's own version is not it (a
   * revocation is record version 1, but what changed is the Consent's version). Replaces the
   * generic "stored (version N)" summary.
   */
  headline?: string;
}

export interface IngestSpec<T> {
  kind: RecordKind;
  /** How the record is named in messages ("referral", "consent", …). */
  label: string;
  parse(input: unknown): ParseResult<T>;
  idOf(value: T): string;
  /** When the record's event happened (refused when later than now); absent: not checked. */
  recordedAt?(value: T): RecordedAt;
  /**
   * Reads what it needs through `tx`, maps and validates; must not write. `stored` is the record
   * of the same kind and id as stored now (read by the pipeline already), or null.
   */
  prepare(tx: StoreOps, value: T, now: Date, stored: StoredRecord | null): Promise<Prepared>;
}

/** Runs one ingest. Expected refusals are returned (`rejected`); only bugs and I/O errors throw. */
export async function runIngest<T>(
  deps: IngestDeps,
  spec: IngestSpec<T>,
  input: unknown,
  ctx: IngestContext = {},
): Promise<IngestResult> {
  const parsed = spec.parse(input);
  if (!parsed.ok) return { status: 'rejected', outcome: parsed.outcome, outbox: [], changed: [] };
  const now = deps.clock();
  const future = spec.recordedAt && refuseFutureInstant(spec.label, spec.recordedAt(parsed.value), now);
  if (future) return { status: 'rejected', outcome: future, outbox: [], changed: [] };
  return deps.store.transaction((tx) => ingestWithin(tx, spec, parsed.value, now, ctx.actor));
}

/**
 * The body of {@link runIngest} for a parsed record, inside a caller's transaction — so several
 * records (the entries of a FHIR `transaction` Bundle) commit together or not at all.
 */
export async function ingestWithin<T>(
  tx: StoreOps,
  spec: IngestSpec<T>,
  value: T,
  now: Date,
  actor = 'unknown',
): Promise<IngestResult> {
  const id = spec.idOf(value);
  const hash = contentHash(value);
  const existing = await tx.getRecord(spec.kind, id);
  if (existing?.contentHash === hash) {
    const text = `${spec.label} ${id} is already stored with the same content (version ${existing.version}): nothing changed`;
    return {
      status: 'unchanged',
      outcome: info(text),
      recordId: id,
      version: existing.version,
      outbox: [],
      changed: [],
    };
  }
  const prepared = await spec.prepare(tx, value, now, existing);
  if (!prepared.ok)
    return { status: 'rejected', outcome: prepared.outcome, recordId: id, outbox: [], changed: [] };
  const record = await tx.putRecord({
    kind: spec.kind,
    id,
    contentHash: hash,
    json: value,
    patientMrn: prepared.patientMrn,
    receivedAt: now,
  });
  // An MRN the practice assigned itself (practice records carry them) is never handed out again.
  await noteMrnInUse(tx, prepared.patientMrn);
  // The write is audited in the same transaction: no stored record without its audit entry.
  await tx.appendAudit(
    buildRecordAudit({
      id: randomUUID(),
      recorded: now,
      actor,
      kind: spec.kind,
      recordId: id,
      version: record.version,
      created: !existing,
      patientMrn: prepared.patientMrn,
    }),
    prepared.patientMrn,
  );
  const { headline, ...effects } = await prepared.write(tx, record);
  const status = existing ? 'updated' : 'created';
  const text = headline ?? summary(spec.label, record, effects);
  return {
    status,
    outcome: outcome([...prepared.warnings, issue({ severity: 'information', code: 'informational', text })]),
    recordId: id,
    version: record.version,
    ...(headline ? { headline } : {}),
    ...effects,
  };
}

function summary(label: string, record: StoredRecord, effects: Effects): string {
  const rows = effects.outbox.map((r) => `${r.resourceType} ${r.state}`).join(', ');
  const queued = effects.outbox.length > 0 ? `; outbox: ${rows}` : '; nothing to deliver';
  const moved = effects.changed.length > 0 ? `; ${effects.changed.length} earlier item(s) re-evaluated` : '';
  return `${label} ${record.id} stored (version ${record.version})${queued}${moved}`;
}

function info(text: string): OperationOutcome {
  return outcome([issue({ severity: 'information', code: 'informational', text })]);
}

/**
 * Stores a resource unless its latest version has the same content (no version churn). A new
 * version of a resource the practice authored gets its Provenance in the same transaction
 * (DESIGN.md §2: Provenance for resources the practice authored).
 */
export async function putIfChanged<T extends Resource>(
  tx: StoreOps,
  resource: T & { id: string },
  patientMrn: string | null,
  now: Date,
): Promise<StoredResource> {
  const latest = await tx.getResource(resource.resourceType, resource.id);
  if (latest && sameContent(latest.resource, resource)) return latest;
  const stored = await tx.putResource(resource, patientMrn, now);
  const provenance = provenanceForAuthored(stored.resource, stored.versionId, now);
  if (provenance) await tx.putResource(withId(provenance), patientMrn, now);
  return stored;
}

/**
 * Resources compared without `meta.versionId` / `meta.lastUpdated` (the store sets those). Both
 * are plain JSON data (one read back from the store, one built by the mapping), so the same JSON
 * text means the same content; the mapping builds its keys in a fixed order, so an unchanged
 * resource is recognised by that text alone, and only texts that differ (perhaps by key order
 * alone) are compared in canonical form.
 */
export function sameContent(a: Resource, b: Resource): boolean {
  const strip = (r: Resource): unknown => ({
    ...r,
    meta: { ...r.meta, versionId: undefined, lastUpdated: undefined },
  });
  const x = strip(a);
  const y = strip(b);
  return JSON.stringify(x) === JSON.stringify(y) || canonicalJson(x) === canonicalJson(y);
}

/** A resource that must have an id (every mapped resource does: ids are deterministic). */
export function withId<T extends Resource>(r: T): T & { id: string } {
  if (!r.id) throw new Error(`mapping produced a ${r.resourceType} without an id`);
  return r as T & { id: string };
}
