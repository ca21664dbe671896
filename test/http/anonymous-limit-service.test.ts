import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { buildService, type BuiltService } from '../../src/bootstrap/service';
import { MemoryLog } from './support/ports';

/**
 * `KAP_BRIDGE_ANON_RATE_LIMIT` through the real composition (`buildService`): the variable reaches
 * the app, a keyless flood from one address is throttled there, and a keyed client and the probes
 * go on being answered (DESIGN.md §8 "unauthenticated requests are rate-limited per client address").
 */

const KEY = 'anonymous-limit-test-key-0123456789';

let dir: string;
let svc: BuiltService;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-anon-limit-'));
  const keys = path.join(dir, 'keys.json');
  fs.writeFileSync(keys, JSON.stringify([{ name: 'operator', key: KEY, scopes: ['ops'] }]), { mode: 0o600 });
  svc = await buildService(
    {
      DATABASE_URL: `sqlite:${path.join(dir, 'kap.db')}`,
      KAP_BRIDGE_API_KEYS: keys,
      KAP_BRIDGE_DATA_DIR: path.join(dir, 'data'),
      KAP_BRIDGE_ANON_RATE_LIMIT: '3',
    },
    { logDestination: new MemoryLog() },
  );
}, 60_000);
afterAll(async () => {
  await svc?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('with KAP_BRIDGE_ANON_RATE_LIMIT=3 the fourth keyless request is answered 429 throttled with Retry-After; the keyed operator and /readyz are still served', async () => {
  const guesses = ['guess-0000000000000001', 'guess-0000000000000002', 'guess-0000000000000003'];
  for (const guess of guesses) {
    expect((await request(svc.app).get('/outbox').set('Authorization', `Bearer ${guess}`)).status).toBe(401);
  }
  const throttled = await request(svc.app)
    .get('/outbox')
    .set('Authorization', 'Bearer guess-0000000000000004');
  expect(throttled.status).toBe(429);
  expect(throttled.body.resourceType).toBe('OperationOutcome');
  expect(throttled.body.issue[0].code).toBe('throttled');
  expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
  expect((await request(svc.app).get('/outbox').set('Authorization', `Bearer ${KEY}`)).status).toBe(200);
  expect((await request(svc.app).get('/readyz')).status).toBe(200);
});
