import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { buildService, type BuiltService } from '../../src/bootstrap/service';
import { MemoryLog } from './support/ports';

/**
 * The generated local key across restarts, through the real composition (`buildService` without
 * `KAP_BRIDGE_API_KEYS`): DESIGN.md §8 — printed once, when it is created, stored only as its
 * SHA-256, and still the key that opens the API after a restart.
 */

let dir: string;
const running: BuiltService[] = [];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-local-key-'));
});
afterAll(async () => {
  for (const svc of running) await svc.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Starts the service on the folder's data directory; returns it with the lines it told the person. */
async function start(): Promise<{ svc: BuiltService; notices: string[]; log: MemoryLog }> {
  const notices: string[] = [];
  const log = new MemoryLog();
  const svc = await buildService(
    {
      DATABASE_URL: `sqlite:${path.join(dir, 'kap.db')}`,
      KAP_BRIDGE_DATA_DIR: path.join(dir, 'data'),
    },
    { notice: (line) => notices.push(line), logDestination: log },
  );
  running.push(svc);
  return { svc, notices, log };
}

test('the generated key is printed on the first start only; a restart says where the file is, and the printed key still authenticates', async () => {
  const first = await start();
  const [, key] = first.notices.join('\n').match(/API key for local use \(every scope\): (\S+)/) ?? [];
  expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const file = path.join(dir, 'data/api-keys.json');
  expect(fs.readFileSync(file, 'utf8')).not.toContain(key!);
  await first.svc.close();
  running.pop();

  const second = await start();
  const told = second.notices.join('\n');
  expect(told).not.toContain(key!);
  expect(told).toContain(`API keys for local use are in ${file}`);
  expect(told).toContain('delete the file');
  expect(second.log.text).not.toContain(key!);
  const res = await request(second.svc.app).get('/outbox').set('Authorization', `Bearer ${key!}`);
  expect(res.status).toBe(200);
  const wrong = await request(second.svc.app).get('/outbox').set('Authorization', `Bearer ${key!}x`);
  expect(wrong.status).toBe(401);
}, 60_000);
