import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import {
  AUTH,
  isOutcome,
  openEdgeHarness,
  send,
  type EdgeHarness,
  type EdgeRequest,
} from '../fuzz/service-harness';

/**
 * DESIGN.md §8 "Trust at the edge", the findings of issue 10 as named cases: each one answered
 * 500 (and logged a stack) before; each is now a 2xx or a 4xx OperationOutcome, changes nothing
 * when refused, and logs no error.
 */

const FHIR = { ...AUTH, 'Content-Type': 'application/fhir+json' };
const json = (text: string) => Buffer.from(text);
const post = (path: string, body: Buffer, headers: Record<string, string> = FHIR): EdgeRequest => ({
  method: 'post',
  path,
  body,
  headers,
});

function nest(depth: number, wrap: (inner: string) => string, core: string): string {
  let out = core;
  for (let i = 0; i < depth; i++) out = wrap(out);
  return out;
}

/** The inbound transaction fixture with its Patient's `identifier` replaced by `{}`. */
function referralWithEmptyPatientIdentifier(): Buffer {
  const file = path.join(__dirname, '../../fixtures/inbound/transaction-referral.json');
  const bundle = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    entry: Array<{ resource: { resourceType: string } }>;
  };
  const patient = bundle.entry.find((e) => e.resource.resourceType === 'Patient');
  if (!patient) throw new Error('the fixture has no Patient');
  Object.assign(patient.resource, { identifier: {} });
  return json(JSON.stringify(bundle));
}

const transaction = (resource: string) =>
  json(
    `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:1","resource":${resource},"request":{"method":"POST","url":"ServiceRequest"}}]}`,
  );

let h: EdgeHarness;
beforeAll(async () => {
  h = await openEdgeHarness();
}, 60_000);
afterAll(async () => h?.close());

const cases: Array<[name: string, req: EdgeRequest, status: number]> = [
  // Found by the fuzzer (test/fuzz/http-routes.fuzz.test.ts).
  [
    'a transaction whose entry is an object, not a list',
    post('/fhir', json('{"resourceType":"Bundle","type":"transaction","entry":{}}')),
    422,
  ],
  [
    // medplum reads `{}` as absent: it passed validation and the reverse mapping met an object.
    'a referral transaction whose Patient identifier is an empty object',
    post('/fhir', referralWithEmptyPatientIdentifier()),
    422,
  ],
  [
    'a constructor key in a validated resource',
    post('/fhir/Patient/$validate', json('{"resourceType":"Patient","constructor":{}}')),
    200,
  ],
  [
    'a toString key inside a datatype',
    post('/fhir/$validate', json('{"resourceType":"Patient","name":[{"toString":"x"}]}')),
    200,
  ],
  [
    'hasOwnProperty and valueOf keys',
    post('/fhir/$validate', json('{"resourceType":"Patient","hasOwnProperty":1,"valueOf":[]}')),
    200,
  ],
  [
    'a constructor key in a transaction entry',
    post('/fhir', transaction('{"resourceType":"ServiceRequest","constructor":{}}')),
    422,
  ],
  [
    'a wrongly typed subject in a transaction entry',
    post(
      '/fhir',
      transaction(
        '{"resourceType":"ServiceRequest","status":"active","intent":"order","subject":"Patient/1","identifier":{"value":1}}',
      ),
    ),
    422,
  ],
  [
    '1,100 nested contained resources',
    post(
      '/fhir/$validate',
      json(nest(1100, (x) => `{"resourceType":"Patient","contained":[${x}]}`, '{"resourceType":"Patient"}')),
    ),
    400,
  ],
  [
    'nesting of 101 levels in a record',
    post('/referrals', json(`{"id":${nest(100, (x) => `[${x}]`, '1')}}`)),
    400,
  ],
  ['a bad %-escape in a path id, without a key', { method: 'get', path: '/patients/%ZZ/disclosures' }, 400],
  [
    'a bad %-escape in a path id, with a key',
    { method: 'post', path: '/outbox/%E0%A4%A/retry', headers: AUTH },
    400,
  ],
  ['a bad %-escape in a resource type', post('/fhir/%ZZ/$validate', json('{}')), 400],
  [
    'a truncated gzip body',
    post('/referrals', zlib.gzipSync(json('{"id":"R-1"}')).subarray(0, 12), {
      ...FHIR,
      'Content-Encoding': 'gzip',
    }),
    400,
  ],
  [
    'a deflate body that is not deflate',
    post('/fhir/$validate', json('{"resourceType":"Patient"}'), { ...FHIR, 'Content-Encoding': 'deflate' }),
    400,
  ],
  [
    'duplicate keys in a validated resource',
    post('/fhir/$validate', json('{"resourceType":"Patient","active":true,"active":false}')),
    400,
  ],
  ['duplicate keys in a record', post('/referrals', json('{"id":"R-1","id":"R-2"}')), 400],
  [
    'invalid UTF-8 in a record',
    post('/referrals', Buffer.concat([json('{"id":"R-'), Buffer.from([0xc3, 0x28]), json('"}')])),
    400,
  ],
  [
    'invalid UTF-8 in a transaction',
    post(
      '/fhir',
      Buffer.concat([json('{"resourceType":"Bundle","type":"'), Buffer.from([0xff]), json('"}')]),
    ),
    400,
  ],
];

describe('client mistakes at the edge are answered as the client’s, never with a 500', () => {
  test.each(cases)(
    '%s is answered as the client’s mistake: an OperationOutcome, nothing stored, no error logged',
    async (_name, req, status) => {
      const before = h.fingerprint();
      const logged = h.log.lines.length;
      const res = await send(h, req);
      expect(res.status).toBe(status);
      expect(isOutcome(res.body)).toBe(true);
      expect(h.fingerprint()).toEqual(before);
      const errors = h.log.lines.slice(logged).filter((l) => /"level":(50|60)|"frames"|stack/.test(l));
      expect(errors).toEqual([]);
    },
  );

  test('a refused body says why and where, as a structure issue', async () => {
    const res = await send(
      h,
      post('/fhir/$validate', json('{"resourceType":"Patient",\n"id":"a","id":"b"}')),
    );
    expect(res.status).toBe(400);
    expect(res.body.issue[0]).toMatchObject({ severity: 'error', code: 'structure' });
    expect(res.body.issue[0].details.text).toBe(
      "The body is not valid JSON: Duplicated property name 'id' at line 2, column 14 (character 40).",
    );
  });

  test('a resource with an inherited property name is judged: the property is reported, with its path', async () => {
    const res = await send(
      h,
      post('/fhir/Patient/$validate', json('{"resourceType":"Patient","constructor":{}}')),
    );
    expect(res.body.issue).toEqual([
      expect.objectContaining({ code: 'structure', expression: ['Patient.constructor'] }),
    ]);
  });
});
