import type { Resource } from '@medplum/fhirtypes';
import type { RecordKind } from '../../../domain/records';
import type {
  NewRecord,
  ReferralClientLookup,
  StoredRecord,
  StoredResource,
} from '../../../app/ports/store-port';
import { first, where } from './sql-clauses';
import type { SqlExecutor, SqlParam } from './sql-executor';
import { iso, toRecord, toResource, type Row } from './sql-rows';

/** Practice records and the FHIR resources mapped from them: every version kept (migration 001). */

export async function putRecord(exec: SqlExecutor, r: NewRecord): Promise<StoredRecord> {
  const lookup = clientLookupColumns(r);
  // One statement, so the version number cannot race within SQLite's write lock; on
  // PostgreSQL a concurrent writer of the same id fails on the primary key instead. Only the
  // version comes back: the rest is what the caller gave (no copy of the JSON read back).
  const rows = await exec.all<Row>(
    `INSERT INTO records (kind, id, version, content_hash, json, patient_mrn, received_at,
       client_referrer_system, client_referrer_value, client_birth_date)
     SELECT ?, ?, COALESCE(MAX(version), 0) + 1, ?, ?, ?, ?, ?, ?, ? FROM records WHERE kind = ? AND id = ?
     RETURNING version`,
    [
      r.kind,
      r.id,
      r.contentHash,
      JSON.stringify(r.json),
      r.patientMrn,
      iso(r.receivedAt),
      lookup.referrerSystem,
      lookup.referrerValue,
      lookup.birthDate,
      r.kind,
      r.id,
    ],
  );
  return {
    kind: r.kind,
    id: r.id,
    version: Number(first(rows).version),
    contentHash: r.contentHash,
    json: r.json,
    patientMrn: r.patientMrn,
    receivedAt: new Date(r.receivedAt),
  };
}

/**
 * The client-lookup columns of migration 006, for a referral record (null for other kinds and
 * for what a referral does not carry): the texts that `json_extract` / `#>>` gave migration 003.
 */
export function clientLookupColumns(r: Pick<NewRecord, 'kind' | 'json'>): {
  referrerSystem: string | null;
  referrerValue: string | null;
  birthDate: string | null;
} {
  const client = r.kind === 'referral' ? field(r.json, 'client') : undefined;
  const referrer = field(client, 'referrerPatientId');
  return {
    referrerSystem: text(field(referrer, 'system')),
    referrerValue: text(field(referrer, 'value')),
    birthDate: text(field(client, 'birthDate')),
  };
}

function field(v: unknown, name: string): unknown {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[name] : undefined;
}

function text(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

export async function getRecord(
  exec: SqlExecutor,
  kind: RecordKind,
  id: string,
): Promise<StoredRecord | null> {
  const rows = await exec.all<Row>(
    'SELECT * FROM records WHERE kind = ? AND id = ? ORDER BY version DESC LIMIT 1',
    [kind, id],
  );
  return rows[0] ? toRecord(rows[0]) : null;
}

export async function listRecords(
  exec: SqlExecutor,
  filter: { kind?: RecordKind; patientMrn?: string },
): Promise<StoredRecord[]> {
  const { clause, params } = where([
    ['r.kind = ?', filter.kind],
    ['r.patient_mrn = ?', filter.patientMrn],
  ]);
  const latest = 'r.version = (SELECT MAX(version) FROM records m WHERE m.kind = r.kind AND m.id = r.id)';
  const rows = await exec.all<Row>(
    `SELECT * FROM records r ${clause ? `${clause} AND` : 'WHERE'} ${latest} ORDER BY r.received_at, r.kind, r.id`,
    params,
  );
  return rows.map(toRecord);
}

export async function findReferrals(
  exec: SqlExecutor,
  lookup: ReferralClientLookup,
): Promise<StoredRecord[]> {
  const { cond, params } = referralLookupSql(lookup);
  // `kind = 'referral'` is a literal so that the partial indexes of migration 006 apply.
  const rows = await exec.all<Row>(
    `SELECT * FROM records r WHERE r.kind = 'referral' AND ${cond}
       AND r.version = (SELECT MAX(version) FROM records m WHERE m.kind = r.kind AND m.id = r.id)
     ORDER BY r.received_at, r.id`,
    params,
  );
  return rows.map(toRecord);
}

/** The condition of a referral lookup, on the indexed columns of migration 006. */
export function referralLookupSql(lookup: ReferralClientLookup): { cond: string; params: SqlParam[] } {
  if ('patientMrn' in lookup) return { cond: 'r.patient_mrn = ?', params: [lookup.patientMrn] };
  if ('birthDate' in lookup) return { cond: 'r.client_birth_date = ?', params: [lookup.birthDate] };
  const { system, value } = lookup.referrerPatientId;
  return {
    cond: 'r.client_referrer_value = ? AND r.client_referrer_system = ?',
    params: [value, system],
  };
}

/**
 * Appends a version of a resource. Two statements (the stored JSON carries its own version), so
 * the caller runs it atomically.
 */
export async function putResource<T extends Resource>(
  exec: SqlExecutor,
  resource: T & { id: string },
  patientMrn: string | null,
  at: Date,
): Promise<StoredResource<T>> {
  const latest = await exec.all<{ v: unknown }>(
    'SELECT MAX(version_id) AS v FROM resources WHERE resource_type = ? AND id = ?',
    [resource.resourceType, resource.id],
  );
  const versionId = Number(latest[0]?.v ?? 0) + 1;
  const stored = {
    ...resource,
    meta: { ...resource.meta, versionId: String(versionId), lastUpdated: iso(at) },
  };
  await exec.run(
    `INSERT INTO resources (resource_type, id, version_id, json, patient_mrn, last_updated)
     VALUES (?, ?, ?, ?, ?, ?)`,
    [resource.resourceType, resource.id, versionId, JSON.stringify(stored), patientMrn, iso(at)],
  );
  return {
    resourceType: resource.resourceType,
    id: resource.id,
    versionId,
    resource: stored,
    patientMrn,
    lastUpdated: at,
  };
}

export async function getResource(
  exec: SqlExecutor,
  resourceType: string,
  id: string,
  versionId?: number,
): Promise<StoredResource | null> {
  const rows =
    versionId === undefined
      ? await exec.all<Row>(
          'SELECT * FROM resources WHERE resource_type = ? AND id = ? ORDER BY version_id DESC LIMIT 1',
          [resourceType, id],
        )
      : await exec.all<Row>('SELECT * FROM resources WHERE resource_type = ? AND id = ? AND version_id = ?', [
          resourceType,
          id,
          versionId,
        ]);
  return rows[0] ? toResource(rows[0]) : null;
}

export async function listResources(
  exec: SqlExecutor,
  filter: { resourceType: string; patientMrn?: string },
): Promise<StoredResource[]> {
  const { clause, params } = where([
    ['r.resource_type = ?', filter.resourceType],
    ['r.patient_mrn = ?', filter.patientMrn],
  ]);
  const rows = await exec.all<Row>(
    `SELECT * FROM resources r ${clause} AND r.version_id =
       (SELECT MAX(version_id) FROM resources m WHERE m.resource_type = r.resource_type AND m.id = r.id)
     ORDER BY r.last_updated, r.id`,
    params,
  );
  return rows.map(toResource);
}
