import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import fc from 'fast-check';
import request from 'supertest';
import {
  AUTH,
  BOUND_KEY,
  isOutcome,
  openEdgeHarness,
  send,
  type EdgeHarness,
  type EdgeRequest,
} from './service-harness';

/**
 * Property-based fuzzing of every route (DESIGN.md §8 "Trust at the edge": client input never
 * causes a 5xx). The real app in-process on a real SQLite file; inputs are the repository's
 * fixtures and FHIR resources, mutated: wrong types, huge strings, deep nesting, inherited
 * property names, duplicate keys, invalid UTF-8, bad %-escapes in path parameters, bad gzip.
 * Every answer must be 2xx or a 4xx OperationOutcome; a refused request changes nothing in the
 * database; `/healthz` keeps answering. `KAP_FUZZ_RUNS` scales the run (default 10,000 inputs).
 */

const RUNS = Number(process.env.KAP_FUZZ_RUNS ?? 10_000);
const ROOT = path.join(__dirname, '../..');
const FHIR = 'application/fhir+json';

function fixturesIn(dir: string): unknown[] {
  return fs
    .readdirSync(path.join(ROOT, dir))
    .filter((f) => f.endsWith('.json') && !['cases.json', 'refused.json'].includes(f))
    .map((f) => JSON.parse(fs.readFileSync(path.join(ROOT, dir, f), 'utf8')) as unknown);
}

const SEEDS: unknown[] = [
  ...fixturesIn('fixtures/records'),
  ...fixturesIn('fixtures/inbound'),
  ...fixturesIn('fixtures/replies'),
  { resourceType: 'Patient', name: [{ family: 'Stone', given: ['Avery'] }], birthDate: '1980-02-29' },
  {
    resourceType: 'Parameters',
    parameter: [{ name: 'resource', resource: { resourceType: 'Observation', status: 'final' } }],
  },
];

const INHERITED = [
  'constructor',
  '__proto__',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'prototype',
  'isPrototypeOf',
];

/** Hostile JSON values: wrong types, inherited names, huge strings, deep nesting. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(...INHERITED, '', 'x'.repeat(70_000), '<script>alert(1)</script>', '9'.repeat(400)),
  fc.constantFrom(null, true, -1, 1.5e308, 0.1, [], {}, [[[]]], { reference: 42 }),
  fc.record({ constructor: fc.jsonValue({ maxDepth: 1 }) }),
  fc.integer({ min: 20, max: 99 }).map((d) => nest(d)),
);

function nest(depth: number): unknown {
  let v: unknown = { url: 'http://x.org' };
  for (let i = 0; i < depth; i++) v = { url: 'http://x.org', extension: [v], contained: [] };
  return v;
}

/** Every object and array inside `v`, the root first. */
function containers(v: unknown, out: Array<Record<string, unknown> | unknown[]> = []) {
  if (typeof v !== 'object' || v === null) return out;
  out.push(v as Record<string, unknown>);
  for (const child of Object.values(v)) containers(child, out);
  return out;
}

/** A seed with one place changed: an existing key, an inherited name or a random key set to `value`. */
const mutatedSeed = fc
  .tuple(
    fc.nat(SEEDS.length - 1),
    fc.nat(),
    fc.oneof(fc.nat(), fc.constantFrom(...INHERITED), fc.string()),
    hostileValue,
  )
  .map(([seed, where, key, value]) => {
    const copy = structuredClone(SEEDS[seed]);
    const all = containers(copy);
    const target = all[where % all.length];
    if (Array.isArray(target)) target[typeof key === 'number' ? key % (target.length + 1) : 0] = value;
    else if (target) {
      const keys = Object.keys(target);
      const name = typeof key === 'number' ? (keys[key % Math.max(keys.length, 1)] ?? 'x') : key;
      Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
    }
    return Buffer.from(JSON.stringify(copy) ?? 'null');
  });

/** Byte-level damage to a valid body: invalid UTF-8, a duplicated key, truncation, deep arrays. */
const damagedBytes = fc
  .tuple(mutatedSeed, fc.nat(), fc.constantFrom('utf8', 'duplicate', 'truncate', 'deep', 'bom'))
  .map(([body, at, how]) => {
    const i = body.length === 0 ? 0 : at % body.length;
    switch (how) {
      case 'utf8':
        return Buffer.concat([
          body.subarray(0, i),
          Buffer.from([0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80]),
          body.subarray(i),
        ]);
      case 'duplicate': {
        const text = body.toString();
        const brace = text.indexOf('{', i);
        return brace < 0
          ? body
          : Buffer.from(`${text.slice(0, brace + 1)}"id":"a","id":"b",${text.slice(brace + 1)}`);
      }
      case 'truncate':
        return body.subarray(0, i);
      case 'deep':
        return Buffer.from(`${'['.repeat(100 + (at % 3000))}${']'.repeat(100 + (at % 3000))}`);
      default:
        return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]);
    }
  });

/** A body and the headers it travels with, sometimes gzip (whole or cut short). */
const bodyWithHeaders = fc
  .tuple(
    fc.oneof(mutatedSeed, damagedBytes),
    fc.constantFrom('plain', 'plain', 'plain', 'gzip', 'cut-gzip', 'text/plain'),
  )
  .map(([body, how]): { body: Buffer; headers: Record<string, string> } => {
    const headers: Record<string, string> = { ...AUTH, 'Content-Type': FHIR };
    if (how === 'text/plain') return { body, headers: { ...headers, 'Content-Type': 'text/plain' } };
    if (how === 'plain') return { body, headers };
    const gz = zlib.gzipSync(body);
    return {
      body: how === 'gzip' ? gz : gz.subarray(0, Math.max(1, gz.length >> 1)),
      headers: { ...headers, 'Content-Encoding': 'gzip' },
    };
  });

/** A path parameter: a plausible id, an inherited name, or broken %-escapes. */
const pathParam = fc.oneof(
  fc.constantFrom('KAP-000131', 'REF-1', 'Patient', 'Observation', ...INHERITED),
  fc.constantFrom('%ZZ', '%', '%E0%A4%A', '%C0%AF', '%00', '..%2F..', '%FF%FE'),
  fc.string({ maxLength: 80 }).map(encodeURIComponent),
);

interface RouteInfo {
  path: string;
  methods: string[];
}

/** Every route the app registers (path template and methods), read from its router. */
function routesOf(h: EdgeHarness): RouteInfo[] {
  const stack = (
    h.svc.app as unknown as {
      router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> };
    }
  ).router.stack;
  const byPath = new Map<string, Set<string>>();
  for (const layer of stack) {
    // Skip the 405 catch-all (`app.all`) each path also has: it lists every method.
    if (!layer.route || Object.keys(layer.route.methods).length > 5) continue;
    const set = byPath.get(layer.route.path) ?? new Set<string>();
    for (const m of Object.keys(layer.route.methods)) if (m !== '_all') set.add(m);
    byPath.set(layer.route.path, set);
  }
  return [...byPath].map(([p, m]) => ({ path: p, methods: [...m] }));
}

function requestFor(
  route: RouteInfo,
  method: string,
  param: string,
  body: { body: Buffer; headers: Record<string, string> },
  query: string,
): EdgeRequest {
  const concrete = route.path.replace(/:[A-Za-z]+/g, param) + query;
  const m = (
    ['get', 'post', 'put', 'delete', 'patch'].includes(method) ? method : 'get'
  ) as EdgeRequest['method'];
  return m === 'get' ? { method: m, path: concrete, headers: AUTH } : { method: m, path: concrete, ...body };
}

/**
 * The database state a refusal must leave as it was. A read of PHI is audited even when it finds
 * nothing (DESIGN.md §8: reads are audited, who/what/when), so a GET may add an audit event.
 */
function stateOf(req: EdgeRequest) {
  const all = h.fingerprint();
  if (req.method !== 'get') return all;
  const { audit_events: _audited, ...rest } = all;
  return rest;
}

let h: EdgeHarness;
beforeAll(async () => {
  h = await openEdgeHarness();
}, 60_000);
afterAll(async () => h?.close());

test(`every route answers ${RUNS} fuzzed inputs with 2xx or a 4xx OperationOutcome, and a refusal changes nothing`, async () => {
  const routes = routesOf(h);
  expect(routes.map((r) => r.path)).toEqual(
    expect.arrayContaining(['/referrals', '/fhir', '/patients/:mrn/disclosures']),
  );
  let tried = 0;
  const serverErrors: string[] = [];
  const input = fc.record({
    route: fc.constantFrom(...routes),
    method: fc.oneof(fc.constant('declared'), fc.constantFrom('get', 'post', 'put', 'delete')),
    param: pathParam,
    body: bodyWithHeaders,
    query: fc.constantFrom(
      '',
      '',
      '?state=queued',
      '?profile=%ZZ',
      '?state=constructor&state=x',
      '?profile=http://x.org/StructureDefinition/y',
    ),
  });
  await fc.assert(
    fc.asyncProperty(input, async ({ route, method, param, body, query }) => {
      const verb = method === 'declared' ? (route.methods[tried % route.methods.length] ?? 'get') : method;
      const req = requestFor(route, verb, param, body, query);
      // Replies (DESIGN.md §6b) need a key bound to senders: half of them get past that check.
      if (req.headers?.Authorization && route.path.startsWith('/fhir') && tried % 2 === 1) {
        req.headers = { ...req.headers, Authorization: `Bearer ${BOUND_KEY}` };
      }
      const before = stateOf(req);
      const res = await send(h, req);
      tried++;
      if (res.status >= 500) serverErrors.push(`${req.method.toUpperCase()} ${route.path} → ${res.status}`);
      expect(res.status).toBeLessThan(500);
      if (res.status >= 400) {
        expect(isOutcome(res.body)).toBe(true);
        expect(stateOf(req)).toEqual(before);
      }
      if (tried % 500 === 0) expect((await request(h.svc.app).get('/healthz')).status).toBe(200);
    }),
    { numRuns: RUNS, seed: process.env.KAP_FUZZ_SEED ? Number(process.env.KAP_FUZZ_SEED) : undefined },
  );
  console.log(`fuzzed ${tried} inputs over ${routes.length} routes: ${serverErrors.length} server errors`);
  expect(serverErrors).toEqual([]);
  expect((await request(h.svc.app).get('/healthz')).status).toBe(200);
}, 300_000);
