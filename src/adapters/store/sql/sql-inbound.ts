import { randomUUID } from 'node:crypto';
import type { InboundMessage, InboundMessageFilter, NewInboundMessage } from '../../../app/ports/store-port';
import { first } from './sql-clauses';
import type { SqlExecutor } from './sql-executor';
import { iso, toInboundMessage, type Row } from './sql-rows';

/** Replies from referring clinicians and the pull's watermarks (DESIGN.md §6b, migration 004). */

export async function putInboundMessage(
  exec: SqlExecutor,
  m: NewInboundMessage,
): Promise<{ message: InboundMessage; created: boolean }> {
  const inserted = await exec.all<Row>(
    `INSERT INTO inbound_messages (id, source_key, channel, origin, referral_id, patient_mrn,
       in_reply_to, received_at, json)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (source_key) DO NOTHING RETURNING *`,
    [
      randomUUID(),
      m.sourceKey,
      m.channel,
      m.origin,
      m.referralId,
      m.patientMrn,
      m.inReplyTo,
      iso(m.receivedAt),
      JSON.stringify(m.communication),
    ],
  );
  if (inserted[0]) return { message: toInboundMessage(inserted[0]), created: true };
  const existing = await exec.all<Row>('SELECT * FROM inbound_messages WHERE source_key = ?', [m.sourceKey]);
  return { message: toInboundMessage(first(existing)), created: false };
}

export async function getInboundMessage(exec: SqlExecutor, id: string): Promise<InboundMessage | null> {
  const rows = await exec.all<Row>('SELECT * FROM inbound_messages WHERE id = ?', [id]);
  return rows[0] ? toInboundMessage(rows[0]) : null;
}

export async function listInboundMessages(
  exec: SqlExecutor,
  filter: InboundMessageFilter,
): Promise<InboundMessage[]> {
  const rows =
    'referralId' in filter
      ? await exec.all<Row>('SELECT * FROM inbound_messages WHERE referral_id = ? ORDER BY received_at, id', [
          filter.referralId,
        ])
      : await exec.all<Row>(
          'SELECT * FROM inbound_messages WHERE referral_id IS NULL ORDER BY received_at, id',
        );
  return rows.map(toInboundMessage);
}

export async function markInboundHandled(
  exec: SqlExecutor,
  id: string,
  by: string,
  at: Date,
): Promise<InboundMessage | null> {
  await exec.run(
    'UPDATE inbound_messages SET handled_at = ?, handled_by = ? WHERE id = ? AND handled_at IS NULL',
    [iso(at), by, id],
  );
  return getInboundMessage(exec, id);
}

export async function getReplyWatermark(exec: SqlExecutor, destinationId: string): Promise<string | null> {
  const rows = await exec.all<Row>('SELECT watermark FROM reply_watermarks WHERE destination_id = ?', [
    destinationId,
  ]);
  return typeof rows[0]?.watermark === 'string' ? rows[0].watermark : null;
}

export async function setReplyWatermark(
  exec: SqlExecutor,
  destinationId: string,
  watermark: string,
  now: Date,
): Promise<void> {
  await exec.run(
    `INSERT INTO reply_watermarks (destination_id, watermark, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (destination_id) DO UPDATE SET watermark = excluded.watermark, updated_at = excluded.updated_at`,
    [destinationId, watermark, iso(now)],
  );
}
