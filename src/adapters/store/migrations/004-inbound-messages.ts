import type { Migration } from './migration';

/**
 * Replies from referring clinicians (DESIGN.md §6b): every inbound Communication kept as received
 * (pushed to `POST /fhir` or pulled from a destination), linked to its referral and client when it
 * could be — unlinked ones stay for staff review (`referral_id` null), never dropped. `source_key`
 * makes receipt idempotent: the reply's business identifier, else where it came from and its id
 * there, so a reply pulled by several syncs (or pushed twice) is stored once. Nothing here is ever
 * queued for delivery (received PHI is never re-disclosed). `reply_watermarks` keeps, per
 * destination, the newest `meta.lastUpdated` the pull has read (`_lastUpdated=gt…` next time).
 */
export const migration004: Migration = {
  version: 4,
  name: 'inbound-messages',
  sqlite: `
CREATE TABLE inbound_messages (
  id TEXT PRIMARY KEY, source_key TEXT NOT NULL UNIQUE,
  channel TEXT NOT NULL CHECK (channel IN ('push', 'pull')), origin TEXT NOT NULL,
  referral_id TEXT, patient_mrn TEXT, in_reply_to TEXT, received_at TEXT NOT NULL,
  json TEXT NOT NULL, handled_at TEXT, handled_by TEXT);
CREATE INDEX inbound_messages_referral ON inbound_messages (referral_id, received_at);
CREATE INDEX inbound_messages_patient ON inbound_messages (patient_mrn, received_at);
CREATE TABLE reply_watermarks (
  destination_id TEXT PRIMARY KEY, watermark TEXT NOT NULL, updated_at TEXT NOT NULL);
`,
  postgres: `
CREATE TABLE inbound_messages (
  id text PRIMARY KEY, source_key text NOT NULL UNIQUE,
  channel text NOT NULL CHECK (channel IN ('push', 'pull')), origin text NOT NULL,
  referral_id text, patient_mrn text, in_reply_to text, received_at timestamptz NOT NULL,
  json jsonb NOT NULL, handled_at timestamptz, handled_by text);
CREATE INDEX inbound_messages_referral ON inbound_messages (referral_id, received_at);
CREATE INDEX inbound_messages_patient ON inbound_messages (patient_mrn, received_at);
CREATE TABLE reply_watermarks (
  destination_id text PRIMARY KEY, watermark text NOT NULL, updated_at timestamptz NOT NULL);
`,
};
