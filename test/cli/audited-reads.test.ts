import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AuditEvent } from '@medplum/fhirtypes';
import { buildProgram } from '../../src/entry/cli/main';
import { readConfig } from '../../src/bootstrap/settings';
import { buildRuntime } from '../../src/bootstrap/compose';
import { openSqliteStore } from '../../src/adapters/store/sqlite-store';

/**
 * CLI reads of PHI write the same access AuditEvent as HTTP (DESIGN.md §8: "reads of PHI are
 * audited with the patient ids they returned, from HTTP and from the CLI alike"), actor `cli`.
 * The commands run in-process against a real SQLite file holding two clients' referrals.
 */

jest.setTimeout(60_000);
const RECORDS = path.join(__dirname, '../../fixtures/records');
const record = (name: string): unknown => JSON.parse(fs.readFileSync(path.join(RECORDS, name), 'utf8'));

let dir: string;
let dbFile: string;
const saved = { env: { ...process.env }, exitCode: process.exitCode };

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-cli-reads-'));
  dbFile = path.join(dir, 'kap.db');
  process.env.DATABASE_URL = `sqlite:${dbFile}`;
  process.env.KAP_BRIDGE_TIMEZONE = 'America/Los_Angeles';
  const rt = await buildRuntime(readConfig(process.env), {
    clock: () => new Date('2026-11-10T10:00:00-08:00'),
  });
  try {
    for (const file of ['referral-clinician-full.json', 'referral-self.json']) {
      const result = await rt.ingest.referral(record(file));
      if (result.status === 'rejected') throw new Error(JSON.stringify(result.outcome));
    }
  } finally {
    await rt.close();
  }
});

afterEach(() => {
  process.env = { ...saved.env };
  process.exitCode = saved.exitCode;
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs `kap-bridge …args` in this process; returns what it printed. */
async function cli(...args: string[]): Promise<string> {
  const out: string[] = [];
  const spy = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  try {
    await buildProgram().parseAsync(['node', 'kap-bridge', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out.join('\n');
}

async function accessAudits(): Promise<AuditEvent[]> {
  const store = openSqliteStore(dbFile);
  try {
    return (await store.listAudit()).map((a) => a.event).filter((e) => e.action === 'R');
  } finally {
    await store.close();
  }
}

const patientsOf = (e: AuditEvent | undefined) =>
  (e?.entity ?? []).flatMap((x) => (x.what?.identifier?.value ? [x.what.identifier.value] : [])).sort();

describe('kap-bridge CLI reads are audited', () => {
  test('outbox list: one AuditEvent by cli naming every client whose rows it printed', async () => {
    const printed = JSON.parse(await cli('outbox', 'list', '--format', 'json')) as Array<{
      patientMrn: string;
    }>;
    expect(new Set(printed.map((r) => r.patientMrn))).toEqual(new Set(['KAP-000123', 'KAP-000131']));
    const audits = await accessAudits();
    expect(audits).toHaveLength(1);
    expect(audits[0]?.agent?.[0]?.who?.display).toBe('cli');
    expect(audits[0]?.source?.observer?.display).toBe('kap-bridge CLI');
    expect(audits[0]?.entity?.[0]?.what?.display).toBe('outbox');
    expect(patientsOf(audits[0])).toEqual(['KAP-000123', 'KAP-000131']);
  });

  test('outbox list --patient --state: the filter is named (not the MRN) and only that client is an entity', async () => {
    await cli('outbox', 'list', '--patient', 'KAP-000131', '--state', 'awaiting-consent');
    const [event] = await accessAudits();
    expect(event?.entity?.[0]?.what?.display).toBe('outbox state=awaiting-consent patient');
    expect(patientsOf(event)).toEqual(['KAP-000131']);
  });

  test('disclosures --patient: one AuditEvent by cli naming the client', async () => {
    await cli('disclosures', '--patient', 'KAP-000123');
    const audits = await accessAudits();
    expect(audits).toHaveLength(1);
    expect(audits[0]?.agent?.[0]?.who?.display).toBe('cli');
    expect(audits[0]?.source?.observer?.display).toBe('kap-bridge CLI');
    expect(audits[0]?.entity?.[0]?.what?.display).toBe('disclosure-log');
    expect(patientsOf(audits[0])).toEqual(['KAP-000123']);
  });
});
