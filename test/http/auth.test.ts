import request from 'supertest';
import { createApp } from '../../src/entry/http/app';
import { bearer, KEYS, makeWorld } from './support/ports';
import table from '../../fixtures/http/route-scopes.json';

/** Keys and scopes per DESIGN.md §8, route by route. */

type Method = 'get' | 'post';
const guarded = table.routes.filter((r) => r.scope !== null);
const open = table.routes.filter((r) => r.scope === null);
const app = createApp(makeWorld().deps);

function call(method: string, path: string) {
  return request(app)[method as Method](path);
}

describe('API keys and scopes', () => {
  test.each(guarded)(
    '$method $path without a key answers 401 login with a Bearer challenge',
    async ({ method, path }) => {
      const res = await call(method, path);
      expect(res.status).toBe(401);
      expect(res.body.issue[0].code).toBe('login');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm=/);
    },
  );

  test.each(guarded)('$method $path with an unknown key answers 401 login', async ({ method, path }) => {
    const res = await call(method, path).set('Authorization', 'Bearer not-a-known-key-at-all-000');
    expect(res.status).toBe(401);
    expect(res.body.issue[0].code).toBe('login');
    expect(res.headers['www-authenticate']).toContain('invalid_token');
  });

  test.each(guarded)(
    '$method $path with a key lacking "$scope" answers 403 forbidden',
    async ({ method, path, scope }) => {
      const other = Object.keys(KEYS).find((k) => k !== 'all' && k !== scope) as keyof typeof KEYS;
      const res = await call(method, path).set('Authorization', bearer(other));
      expect(res.status).toBe(403);
      expect(res.body.issue[0].code).toBe('forbidden');
      expect(res.body.issue[0].details.text).toContain(`"${scope}"`);
    },
  );

  test.each(guarded)(
    '$method $path with a "$scope" key gets past authentication',
    async ({ method, path, scope }) => {
      const res = await call(method, path).set('Authorization', bearer(scope as keyof typeof KEYS));
      expect([401, 403]).not.toContain(res.status);
    },
  );

  test.each(open)('$method $path needs no key', async ({ method, path }) => {
    const res = await call(method, path);
    expect(res.status).toBe(200);
  });

  test.each(['Basic YWRtaW46YWRtaW4=', `Bearer`, `Token ${KEYS.all!.key}`, `Bearer ${KEYS.all!.key} extra`])(
    'an Authorization header "%s" is not accepted',
    async (header) => {
      const res = await call('get', '/outbox').set('Authorization', header);
      expect(res.status).toBe(401);
    },
  );
});
