import type { Migration } from './migration';

const STATES = `'awaiting-consent', 'queued', 'in-flight', 'delivered', 'withheld', 'retry-wait', 'dead', 'cancelled'`;

/**
 * The initial schema: practice records and their FHIR forms (every version kept), the outbox
 * (DESIGN.md §6), delivery attempts and the append-only audit trail (45 CFR 164.312(b)).
 * SQLite stores times as ISO-8601 UTC TEXT (sorts correctly) and JSON as TEXT; PostgreSQL uses
 * timestamptz and jsonb.
 */
export const migration001: Migration = {
  version: 1,
  name: 'initial',
  sqlite: `
CREATE TABLE records (
  kind TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, content_hash TEXT NOT NULL,
  json TEXT NOT NULL, patient_mrn TEXT, received_at TEXT NOT NULL,
  PRIMARY KEY (kind, id, version));
CREATE INDEX records_patient ON records (patient_mrn, kind);
CREATE TABLE resources (
  resource_type TEXT NOT NULL, id TEXT NOT NULL, version_id INTEGER NOT NULL, json TEXT NOT NULL,
  patient_mrn TEXT, last_updated TEXT NOT NULL,
  PRIMARY KEY (resource_type, id, version_id));
CREATE INDEX resources_patient ON resources (patient_mrn, resource_type);
CREATE TABLE outbox (
  id TEXT PRIMARY KEY, item_key TEXT NOT NULL UNIQUE, destination_id TEXT NOT NULL,
  patient_mrn TEXT NOT NULL, recipient_npi TEXT NOT NULL, resource_type TEXT NOT NULL,
  resource_id TEXT NOT NULL, resource_version INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN (${STATES})),
  attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT, lease_owner TEXT, lease_until TEXT,
  deadline TEXT, late INTEGER NOT NULL DEFAULT 0, last_outcome TEXT, consent_ref TEXT,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, delivered_at TEXT,
  FOREIGN KEY (resource_type, resource_id, resource_version) REFERENCES resources (resource_type, id, version_id));
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_order ON outbox (deadline, created_at);
CREATE INDEX outbox_patient ON outbox (patient_mrn, state);
CREATE INDEX outbox_destination ON outbox (destination_id, state);
CREATE TABLE delivery_attempts (
  id TEXT PRIMARY KEY, outbox_id TEXT NOT NULL REFERENCES outbox (id), attempt_no INTEGER NOT NULL,
  started_at TEXT NOT NULL, finished_at TEXT NOT NULL, http_status INTEGER, result TEXT NOT NULL,
  outcome TEXT, UNIQUE (outbox_id, attempt_no));
CREATE TABLE audit_events (
  id TEXT PRIMARY KEY, recorded TEXT NOT NULL, patient_mrn TEXT, outcome TEXT, json TEXT NOT NULL);
CREATE INDEX audit_patient ON audit_events (patient_mrn, recorded);
CREATE INDEX audit_recorded ON audit_events (recorded);
CREATE INDEX audit_outcome ON audit_events (outcome, recorded);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
  BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
  BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
`,
  postgres: `
CREATE TABLE records (
  kind text NOT NULL, id text NOT NULL, version integer NOT NULL, content_hash text NOT NULL,
  json jsonb NOT NULL, patient_mrn text, received_at timestamptz NOT NULL,
  PRIMARY KEY (kind, id, version));
CREATE INDEX records_patient ON records (patient_mrn, kind);
CREATE TABLE resources (
  resource_type text NOT NULL, id text NOT NULL, version_id integer NOT NULL, json jsonb NOT NULL,
  patient_mrn text, last_updated timestamptz NOT NULL,
  PRIMARY KEY (resource_type, id, version_id));
CREATE INDEX resources_patient ON resources (patient_mrn, resource_type);
CREATE TABLE outbox (
  id text PRIMARY KEY, item_key text NOT NULL UNIQUE, destination_id text NOT NULL,
  patient_mrn text NOT NULL, recipient_npi text NOT NULL, resource_type text NOT NULL,
  resource_id text NOT NULL, resource_version integer NOT NULL,
  state text NOT NULL CHECK (state IN (${STATES})),
  attempts integer NOT NULL DEFAULT 0, next_attempt_at timestamptz, lease_owner text,
  lease_until timestamptz, deadline timestamptz, late boolean NOT NULL DEFAULT false,
  last_outcome jsonb, consent_ref text,
  created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, delivered_at timestamptz,
  FOREIGN KEY (resource_type, resource_id, resource_version) REFERENCES resources (resource_type, id, version_id));
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_order ON outbox (deadline, created_at);
CREATE INDEX outbox_patient ON outbox (patient_mrn, state);
CREATE INDEX outbox_destination ON outbox (destination_id, state);
CREATE TABLE delivery_attempts (
  id text PRIMARY KEY, outbox_id text NOT NULL REFERENCES outbox (id), attempt_no integer NOT NULL,
  started_at timestamptz NOT NULL, finished_at timestamptz NOT NULL, http_status integer,
  result text NOT NULL, outcome jsonb, UNIQUE (outbox_id, attempt_no));
CREATE TABLE audit_events (
  id text PRIMARY KEY, recorded timestamptz NOT NULL, patient_mrn text, outcome text, json jsonb NOT NULL);
CREATE INDEX audit_patient ON audit_events (patient_mrn, recorded);
CREATE INDEX audit_recorded ON audit_events (recorded);
CREATE INDEX audit_outcome ON audit_events (outcome, recorded);
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
`,
};
