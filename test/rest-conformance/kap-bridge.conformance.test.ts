import fs from 'node:fs';
import path from 'node:path';
import { expressionsOf, failureOf, startKapBridgeUnderTest, type KapBridgeUnderTest } from './servers';

/**
 * kap-bridge's own `/fhir` against the R4 RESTful API for what its CapabilityStatement offers
 * (transaction, batch, $process-message, $validate, metadata), driven by fhir-kit-client and by
 * raw HTTP for exact headers. Each `describe` is one numbered failure of issue 13 that applies to
 * kap-bridge (it offers no search, read or update: items 1, 2, 3 and 5 are the sandbox's).
 */

const ROOT = path.join(__dirname, '../..');
const fixture = (name: string): any =>
  JSON.parse(fs.readFileSync(path.join(ROOT, 'fixtures/inbound', name), 'utf8'));

let k: KapBridgeUnderTest;
beforeAll(async () => {
  k = await startKapBridgeUnderTest();
}, 60_000);
afterAll(() => k.close());

const json = (r: Response): Promise<any> => r.text().then((t) => (t ? JSON.parse(t) : undefined));

describe('4. unknown resource types and interactions answer 404', () => {
  test.each([
    ['GET /fhir/Comunication?identifier=x', 'GET', '/Comunication?identifier=x'],
    ['POST /fhir/Foo', 'POST', '/Foo'],
    ['GET /fhir/_history', 'GET', '/_history'],
    ['GET /fhir/Patient/1 (kap-bridge serves no reads)', 'GET', '/Patient/1'],
  ])('%s → 404 with an OperationOutcome', async (_name, method, p) => {
    const res = await k.http(p, method === 'POST' ? { method, body: '{"resourceType":"Foo"}' } : { method });
    expect(res.status).toBe(404);
    expect((await json(res)).resourceType).toBe('OperationOutcome');
  });
});

describe('3. a conditional reference in a transaction is never stored as written', () => {
  test('kap-bridge takes the Patient from the Bundle: Patient?identifier=… is refused with 422 naming the entry', async () => {
    const bundle = fixture('transaction-referral.json');
    bundle.entry[0].resource.subject.reference =
      'Patient?identifier=https://ehr.lakeside.example/patients|77120';
    const failure = await failureOf(k.client.transaction({ body: bundle }));
    expect(failure.status).toBe(422);
    expect(expressionsOf(failure.data)).toContain('Bundle.entry[0].resource.subject');
  });
});

describe('6. the CapabilityStatement is valid R4 and each claim is tested', () => {
  let cs: any;
  beforeAll(async () => {
    cs = await k.client.capabilityStatement();
  });

  test('it passes the project validator with no error', () => {
    const verdict = k.service.runtime.validator().validate(cs);
    const errors = (verdict.issue ?? []).filter((i) => i.severity === 'error' || i.severity === 'fatal');
    expect(errors).toEqual([]);
  });

  test('it claims transaction and batch, $validate and $process-message, messaging, and no read or search', () => {
    const rest = cs.rest[0];
    expect(rest.interaction.map((i: any) => i.code).sort()).toEqual(['batch', 'transaction']);
    expect(rest.operation.map((o: any) => o.name).sort()).toEqual(['process-message', 'validate']);
    expect(cs.messaging?.length).toBeGreaterThan(0);
    const resourceInteractions = rest.resource.flatMap((r: any) =>
      (r.interaction ?? []).map((i: any) => i.code),
    );
    expect(resourceInteractions).not.toContain('read');
    expect(resourceInteractions).not.toContain('search-type');
    expect(cs.format).toEqual(expect.arrayContaining(['json']));
    expect(cs.format.join(' ')).not.toMatch(/xml/);
  });

  test('the claimed transaction works through fhir-kit-client', async () => {
    const response = await k.client.transaction({ body: fixture('transaction-referral.json') });
    expect(response.type).toBe('transaction-response');
  });

  test('the claimed batch works through fhir-kit-client', async () => {
    const response = await k.client.batch({
      body: { ...fixture('transaction-referral.json'), type: 'batch' },
    });
    expect(response.type).toBe('batch-response');
  });

  test('the claimed $validate works through fhir-kit-client', async () => {
    const outcome = await k.client.operation({
      name: '$validate',
      resourceType: 'Patient',
      input: {
        resourceType: 'Parameters',
        parameter: [{ name: 'resource', resource: { resourceType: 'Patient' } }],
      },
    });
    expect(outcome.resourceType).toBe('OperationOutcome');
  });
});

describe('7. $validate and $process-message take their R4 inputs', () => {
  test('POST /fhir/$validate with a Parameters body that has profile but no resource → 400', async () => {
    const res = await k.http('/$validate', {
      method: 'POST',
      body: JSON.stringify({
        resourceType: 'Parameters',
        parameter: [
          { name: 'profile', valueUri: 'https://kap-bridge.example/fhir/StructureDefinition/kap-consent' },
        ],
      }),
    });
    expect(res.status).toBe(400);
    const outcome = await json(res);
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(expressionsOf(outcome).join(' ')).toContain('Parameters.parameter');
  });

  test('POST /fhir/Foo/$validate → 404 (Foo is not a resource type)', async () => {
    const res = await k.http('/Foo/$validate', { method: 'POST', body: '{"resourceType":"Foo"}' });
    expect(res.status).toBe(404);
  });

  test('POST /fhir/Parameters/$validate validates a Parameters resource itself', async () => {
    const res = await k.http('/Parameters/$validate', {
      method: 'POST',
      body: JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'x', valueString: 'y' }] }),
    });
    expect(res.status).toBe(200);
  });

  test('$process-message accepts Parameters { content: <message Bundle> } and answers a response message', async () => {
    const message = fixture('message-bser-referral.json');
    const response = await k.client.operation({
      name: '$process-message',
      input: { resourceType: 'Parameters', parameter: [{ name: 'content', resource: message }] },
    });
    expect(response.resourceType).toBe('Bundle');
    expect(response.type).toBe('message');
  });

  test('$process-message with Parameters lacking content → 400 naming the parameter', async () => {
    const res = await k.http('/$process-message', {
      method: 'POST',
      body: JSON.stringify({
        resourceType: 'Parameters',
        parameter: [{ name: 'async', valueBoolean: false }],
      }),
    });
    expect(res.status).toBe(400);
  });
});

describe('8. formats, 405, ETag, Prefer and transaction-response locations', () => {
  test.each([
    ['Accept: application/fhir+xml on /metadata', '/metadata', { accept: 'application/fhir+xml' }],
    ['_format=xml on /metadata', '/metadata?_format=xml', {}],
  ])('%s → 406', async (_name, p, headers) => {
    expect((await k.http(p, { headers })).status).toBe(406);
  });

  test('Accept: application/fhir+xml on POST /fhir → 406 and nothing is stored', async () => {
    const res = await k.http('/', {
      method: 'POST',
      headers: { accept: 'application/fhir+xml' },
      body: JSON.stringify(fixture('transaction-referral.json')),
    });
    expect(res.status).toBe(406);
  });

  test.each([
    ['PUT /fhir/metadata', 'PUT', '/metadata', 'GET'],
    ['GET /fhir (the transaction endpoint)', 'GET', '', 'POST'],
    ['DELETE /fhir/$validate', 'DELETE', '/$validate', 'POST'],
  ])('%s → 405 with Allow', async (_name, method, p, allowed) => {
    const res = await k.http(p, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toContain(allowed);
  });

  test('no ETag on /fhir answers that are not resource versions', async () => {
    expect((await k.http('/metadata')).headers.get('etag')).toBeNull();
    const validated = await k.http('/Patient/$validate', {
      method: 'POST',
      body: '{"resourceType":"Patient"}',
    });
    expect(validated.headers.get('etag')).toBeNull();
    const tx = await k.http('', {
      method: 'POST',
      body: JSON.stringify(fixture('transaction-referral.json')),
    });
    expect(tx.headers.get('etag')).toBeNull();
  });

  test('every location in a transaction-response resolves on kap-bridge (or is omitted)', async () => {
    const response = await k.client.transaction({ body: fixture('transaction-referral.json') });
    for (const entry of response.entry) {
      const location: string | undefined = entry.response.location;
      if (location === undefined) continue;
      const res = await k.http(`/${location}`);
      expect([location, res.status]).toEqual([location, 200]);
    }
  });

  test('Prefer: return=minimal on a transaction → entries without resources', async () => {
    const res = await k.http('', {
      method: 'POST',
      headers: { prefer: 'return=minimal' },
      body: JSON.stringify(fixture('transaction-referral.json')),
    });
    expect(res.status).toBe(200);
    const bundle = await json(res);
    expect(bundle.entry.every((e: any) => e.resource === undefined)).toBe(true);
  });

  test('Prefer: return=OperationOutcome on a transaction → each entry carries its outcome', async () => {
    const bundle = fixture('transaction-referral.json');
    bundle.entry[0].resource.identifier[0].value = 'LP-8121';
    const res = await k.http('', {
      method: 'POST',
      headers: { prefer: 'return=OperationOutcome' },
      body: JSON.stringify(bundle),
    });
    expect(res.status).toBe(200);
    const response = await json(res);
    expect(response.entry.every((e: any) => e.response.outcome?.resourceType === 'OperationOutcome')).toBe(
      true,
    );
  });

  test('a refused transaction answers one OperationOutcome naming the entry at fault', async () => {
    const failure = await failureOf(k.client.transaction({ body: fixture('transaction-one-bad.json') }));
    expect(failure.status).toBe(422);
    expect(expressionsOf(failure.data).some((e) => e.startsWith('Bundle.entry[5]'))).toBe(true);
  });
});
