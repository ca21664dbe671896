import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Bundle, MessageHeader } from '@medplum/fhirtypes';

// Spawns the built CLI (`npm run build` first, as `npm test` does through `pretest`); each call
// loads the R4 definitions, so the timeout is generous on a busy machine.
jest.setTimeout(120_000);
const cli = path.join(__dirname, '../../dist/entry/cli/main.js');
const inbound = path.join(__dirname, '../../fixtures/inbound');

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-cli-inbound-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function ingestBundle(file: string, ...args: string[]): { status: number | null; stdout: string } {
  const env = {
    ...process.env,
    DATABASE_URL: 'sqlite:./data/kap-bridge.db',
    KAP_BRIDGE_TIMEZONE: 'America/Los_Angeles',
  };
  const r = spawnSync(process.execPath, [cli, 'ingest', 'bundle', file, ...args], {
    cwd: dir,
    env,
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout };
}

describe('kap-bridge ingest bundle', () => {
  test('a transaction is stored (exit 0) and re-sending it answers 200 OK at the same location', () => {
    const first = ingestBundle(path.join(inbound, 'transaction-referral.json'));
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(
      'entry[0] 201 Created ServiceRequest/referral-REF-1234567893-LP-8120/_history/1',
    );
    const again = ingestBundle(path.join(inbound, 'transaction-referral.json'), '--format', 'json');
    expect(again.status).toBe(0);
    const response = JSON.parse(again.stdout) as Bundle;
    expect(response.type).toBe('transaction-response');
    expect(response.entry?.[0]?.response?.status).toBe('200 OK');
  });

  test('a referral message is answered with a response message (exit 0)', () => {
    const r = ingestBundle(path.join(inbound, 'message-bser-referral.json'), '--format', 'json');
    expect(r.status).toBe(0);
    const header = (JSON.parse(r.stdout) as Bundle).entry?.[0]?.resource as MessageHeader;
    expect(header.response).toMatchObject({ identifier: 'msg-hdr-7781', code: 'ok' });
  });

  test('a batch with a refused entry exits 1 and says why; a transaction with one exits 1 with the NPI at fault', () => {
    const batch = ingestBundle(path.join(inbound, 'batch-one-bad.json'));
    expect(batch.status).toBe(1);
    expect(batch.stdout).toContain('entry[3] 422 Unprocessable Entity');
    const tx = ingestBundle(path.join(inbound, 'transaction-one-bad.json'));
    expect(tx.status).toBe(1);
    expect(tx.stdout).toContain('Bundle.entry[5].resource.identifier[0].value');
  });

  test('a file that is not a transaction, batch or message Bundle is refused (exit 1)', () => {
    const record = path.join(__dirname, '../../fixtures/records/referral-self.json');
    expect(ingestBundle(record).status).toBe(1);
  });
});
