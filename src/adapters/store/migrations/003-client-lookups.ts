import type { Migration } from './migration';

/**
 * Indexed client matching and MRN assignment (DESIGN.md §8 "Trust at the edge": cost per referral
 * does not grow with the number of clients). Expression indexes on the referral records' client —
 * the referrer's patient id and the birth date — so `findReferrals` is answered from the index;
 * they cover existing rows without a backfill. (Migration 006 replaces them with plain columns.)
 * The `mrn` counter is seeded once with the highest practice MRN on file (`KAP-` + digits), so
 * the next MRN is taken from the counter alone instead of a scan of every record.
 */
export const migration003: Migration = {
  version: 3,
  name: 'client-lookups',
  sqlite: `
CREATE INDEX records_referrer_patient ON records (
  json_extract(json, '$.client.referrerPatientId.value'),
  json_extract(json, '$.client.referrerPatientId.system')) WHERE kind = 'referral';
CREATE INDEX records_client_birth_date ON records (json_extract(json, '$.client.birthDate'))
  WHERE kind = 'referral';
INSERT INTO counters (name, last)
  SELECT 'mrn', COALESCE(MAX(CAST(substr(patient_mrn, 5) AS INTEGER)), 0) FROM records
  WHERE patient_mrn GLOB 'KAP-[0-9]*' AND substr(patient_mrn, 5) NOT GLOB '*[^0-9]*'
    AND length(patient_mrn) <= 13
  ON CONFLICT (name) DO UPDATE SET last = MAX(counters.last, excluded.last);
`,
  postgres: `
CREATE INDEX records_referrer_patient ON records (
  (json #>> '{client,referrerPatientId,value}'),
  (json #>> '{client,referrerPatientId,system}')) WHERE kind = 'referral';
CREATE INDEX records_client_birth_date ON records ((json #>> '{client,birthDate}'))
  WHERE kind = 'referral';
INSERT INTO counters (name, last)
  SELECT 'mrn', COALESCE(MAX(substr(patient_mrn, 5)::integer), 0) FROM records
  WHERE patient_mrn ~ '^KAP-[0-9]{1,9}$'
  ON CONFLICT (name) DO UPDATE SET last = GREATEST(counters.last, excluded.last);
`,
};
