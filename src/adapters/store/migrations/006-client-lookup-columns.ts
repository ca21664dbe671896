import type { Migration } from './migration';

/**
 * The client lookups of migration 003 on plain columns instead of JSON expressions: an expression
 * index evaluates its expression on every insert, and each of the three `json_extract` /
 * `#>>` calls parses the whole record (issue 12: the two indexes were most of the cost of storing
 * a record). The store fills the columns from the referral it is given (sql-records
 * `clientLookupColumns`); existing referrals are filled here with the expressions 003 indexed,
 * which give the same text. Same index names, same partial predicate.
 */
export const migration006: Migration = {
  version: 6,
  name: 'client-lookup-columns',
  sqlite: `
ALTER TABLE records ADD COLUMN client_referrer_system TEXT;
ALTER TABLE records ADD COLUMN client_referrer_value TEXT;
ALTER TABLE records ADD COLUMN client_birth_date TEXT;
UPDATE records SET
  client_referrer_system = json_extract(json, '$.client.referrerPatientId.system'),
  client_referrer_value = json_extract(json, '$.client.referrerPatientId.value'),
  client_birth_date = json_extract(json, '$.client.birthDate')
  WHERE kind = 'referral';
DROP INDEX records_referrer_patient;
DROP INDEX records_client_birth_date;
CREATE INDEX records_referrer_patient ON records (client_referrer_value, client_referrer_system)
  WHERE kind = 'referral';
CREATE INDEX records_client_birth_date ON records (client_birth_date) WHERE kind = 'referral';
`,
  postgres: `
ALTER TABLE records ADD COLUMN client_referrer_system text, ADD COLUMN client_referrer_value text,
  ADD COLUMN client_birth_date text;
UPDATE records SET
  client_referrer_system = json #>> '{client,referrerPatientId,system}',
  client_referrer_value = json #>> '{client,referrerPatientId,value}',
  client_birth_date = json #>> '{client,birthDate}'
  WHERE kind = 'referral';
DROP INDEX records_referrer_patient;
DROP INDEX records_client_birth_date;
CREATE INDEX records_referrer_patient ON records (client_referrer_value, client_referrer_system)
  WHERE kind = 'referral';
CREATE INDEX records_client_birth_date ON records (client_birth_date) WHERE kind = 'referral';
`,
};
