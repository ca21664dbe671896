import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, readConfig } from '../../src/bootstrap/settings';
import { buildRuntime, type Runtime } from '../../src/bootstrap/compose';
import { referralBatch } from './inbound-batch';

/** `KAP_BRIDGE_MAX_BATCH_ENTRIES` (DESIGN.md §8): validated at start, and it reaches the use cases. */

let dir: string;
let rt: Runtime | undefined;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-cap-'))));
afterEach(async () => {
  await rt?.close();
  rt = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

test.each(['0', '-3', 'many', '10001'])(
  'KAP_BRIDGE_MAX_BATCH_ENTRIES=%s stops the start with a message naming the variable',
  (value) => {
    expect(() => readConfig({ KAP_BRIDGE_MAX_BATCH_ENTRIES: value })).toThrow(ConfigError);
    expect(() => readConfig({ KAP_BRIDGE_MAX_BATCH_ENTRIES: value })).toThrow(/KAP_BRIDGE_MAX_BATCH_ENTRIES/);
  },
);

test('the cap defaults to 200, and a configured cap of 20 refuses a Bundle of 23 entries as too long, storing nothing', async () => {
  expect(readConfig({}).maxBatchEntries).toBe(200);
  const config = readConfig({
    DATABASE_URL: `sqlite:${path.join(dir, 'kap.db')}`,
    KAP_BRIDGE_MAX_BATCH_ENTRIES: '20',
  });
  rt = await buildRuntime(config);
  const result = await rt.ingest.fhirBundle(referralBatch(10)); // 23 entries
  expect(result).toMatchObject({ status: 'rejected', refusal: 'too-long' });
  expect(await rt.store.listRecords({})).toEqual([]);
});
