import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readConfig } from '../../src/bootstrap/settings';
import { buildRuntime, type Runtime } from '../../src/bootstrap/compose';

// The operator's retry decides its own answer (DESIGN.md §6): HTTP and the CLI only print it.
jest.setTimeout(60_000);

const RECORDS = path.join(__dirname, '../../fixtures/records');
const record = (name: string): unknown => JSON.parse(fs.readFileSync(path.join(RECORDS, name), 'utf8'));

let dir: string;
let rt: Runtime;
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-outbox-ops-'));
  const config = readConfig({ DATABASE_URL: `sqlite:${path.join(dir, 'kap.db')}` });
  rt = await buildRuntime(config, { clock: () => new Date('2026-11-09T10:00:00-08:00') });
});
afterEach(async () => {
  await rt.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A queued row: a referral's row awaiting consent, queued by an operator's retry. */
async function queuedRowId(): Promise<string> {
  await rt.ingest.referral(record('referral-self.json'));
  const [row] = await rt.store.listOutbox({ state: 'awaiting-consent' });
  await rt.store.retryOutbox(row!.id, rt.clock());
  expect((await rt.store.getOutbox(row!.id))?.state).toBe('queued');
  return row!.id;
}

test('when a queued row is retried, the use case answers conflict naming its state and the retryable ones, and changes nothing', async () => {
  const id = await queuedRowId();
  const before = await rt.store.getOutbox(id);
  const result = await rt.outbox.retry(id);
  expect(result.status).toBe('conflict');
  expect(result.outcome.issue?.[0]?.code).toBe('conflict');
  expect(result.outcome.issue?.[0]?.details?.text).toBe(
    'An item in state queued cannot be retried (only dead, retry-wait, withheld, awaiting-consent or cancelled).',
  );
  expect(await rt.store.getOutbox(id)).toEqual(before);
});

test('when the row does not exist, the retry answers not-found', async () => {
  const result = await rt.outbox.retry('no-such-row');
  expect(result).toMatchObject({ status: 'not-found', outcome: { issue: [{ code: 'not-found' }] } });
});

test('when a row awaiting consent is retried, it is queued again and the outcome says consent is checked again', async () => {
  await rt.ingest.referral(record('referral-self.json'));
  const [row] = await rt.store.listOutbox({ state: 'awaiting-consent' });
  const result = await rt.outbox.retry(row!.id);
  expect(result.status).toBe('retried');
  expect(result.outcome.issue?.[0]?.details?.text).toContain('re-checks consent');
  if (result.status === 'retried') expect(result.row.state).toBe('queued');
});

test('the operations list is the audited read: listing names the reader in the audit trail', async () => {
  await rt.ingest.referral(record('referral-self.json'));
  const rows = await rt.outbox.list({}, 'cli');
  expect(rows.length).toBeGreaterThan(0);
  const reads = (await rt.store.listAudit({ patientMrn: rows[0]!.patientMrn })).filter(
    (a) => a.event.action === 'R' && a.event.agent?.some((g) => g.altId === 'cli'),
  );
  expect(reads).toHaveLength(1);
});
