import { randomUUID } from 'node:crypto';
import { createValidator } from '../../src/fhir/validator';
import { expressionsOf, failureOf, startSandboxUnderTest, type SandboxUnderTest } from './servers';

/**
 * The sandbox against the R4 RESTful API (http://hl7.org/fhir/R4/http.html, search.html), driven
 * by a real third-party client (fhir-kit-client) and by raw HTTP where the exact status and
 * headers matter. Each `describe` is one numbered failure of issue 13; DESIGN.md §8 "Sandbox as a
 * FHIR server" is the contract.
 */

const SYS = 'https://conformance.example/sid';
let s: SandboxUnderTest;
beforeAll(async () => {
  s = await startSandboxUnderTest();
});
afterAll(() => s.sandbox.close());

const json = (r: Response): Promise<any> => r.text().then((t) => (t ? JSON.parse(t) : undefined));
const unique = (): string => randomUUID();

async function createPatient(value = unique()): Promise<{ id: string; value: string }> {
  const created = await s.client.create({
    resourceType: 'Patient',
    body: { resourceType: 'Patient', identifier: [{ system: SYS, value }] },
  });
  return { id: created.id, value };
}

async function createObservation(patientId: string, value = unique()): Promise<string> {
  const created = await s.client.create({
    resourceType: 'Observation',
    body: {
      resourceType: 'Observation',
      status: 'final',
      identifier: [{ system: SYS, value }],
      code: { text: 'mood' },
      subject: { reference: `Patient/${patientId}` },
    },
  });
  return created.id;
}

const idsOf = (bundle: any): string[] => (bundle.entry ?? []).map((e: any) => e.resource?.id).filter(Boolean);

describe('1. patient and subject searches take the bare id, the :Patient modifier and the typed reference', () => {
  let patientId: string;
  let observationId: string;
  beforeAll(async () => {
    patientId = (await createPatient()).id;
    observationId = await createObservation(patientId);
  });

  test.each([
    ['patient=<id>', { patient: () => patientId }],
    ['subject:Patient=<id>', { 'subject:Patient': () => patientId }],
    ['subject=<id>', { subject: () => patientId }],
    ['patient=Patient/<id>', { patient: () => `Patient/${patientId}` }],
    [
      'patient=<absolute URL of the Patient on this server>',
      { patient: () => `${s.sandbox.url}/Patient/${patientId}` },
    ],
  ])('GET Observation?%s finds the Observation', async (_name, params) => {
    const searchParams = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v()]));
    const bundle = await s.client.search({ resourceType: 'Observation', searchParams });
    expect(idsOf(bundle)).toEqual([observationId]);
    expect(bundle.total).toBe(1);
  });

  test.each([
    ['subject:Patient.identifier=<system|value>', 'subject:Patient.identifier'],
    ['patient.identifier=<system|value>', 'patient.identifier'],
  ])('chained: GET Observation?%s finds the Observation', async (_name, key) => {
    const p = await createPatient();
    const id = await createObservation(p.id);
    const bundle = await s.client.search({
      resourceType: 'Observation',
      searchParams: { [key]: `${SYS}|${p.value}` },
    });
    expect(idsOf(bundle)).toEqual([id]);
    const self = new URL(bundle.link.find((l: any) => l.relation === 'self').url);
    expect(self.searchParams.get(key)).toBe(`${SYS}|${p.value}`);
  });

  test('chained: a chain that finds no Patient finds nothing; a deeper chain is not used and is reported', async () => {
    const none = await json(await s.http(`/Observation?subject:Patient.identifier=${SYS}|${unique()}`));
    expect(none.total).toBe(0);
    const deeper = await s.http('/Observation?subject:Patient.organization.name=x', {
      headers: { prefer: 'handling=strict' },
    });
    expect(deeper.status).toBe(400);
  });

  test('Communication?patient=<id> finds a delivered update about the Patient', async () => {
    const communication = await s.client.create({
      resourceType: 'Communication',
      body: {
        resourceType: 'Communication',
        status: 'completed',
        subject: { reference: `Patient/${patientId}` },
        payload: [{ contentString: 'Session summary' }],
      },
    });
    const bundle = await s.client.search({
      resourceType: 'Communication',
      searchParams: { patient: patientId },
    });
    expect(idsOf(bundle)).toEqual([communication.id]);
  });

  test('patient=<id of another patient> finds nothing', async () => {
    const other = await createPatient();
    const bundle = await s.client.search({
      resourceType: 'Observation',
      searchParams: { patient: other.id },
    });
    expect(bundle.total).toBe(0);
  });
});

describe('2. searchset Bundles page honestly: fullUrl, self and next links, total', () => {
  let patientId: string;
  const created: string[] = [];
  beforeAll(async () => {
    patientId = (await createPatient()).id;
    for (let i = 0; i < 5; i++) created.push(await createObservation(patientId));
  });

  test('every entry has the absolute fullUrl of its resource and search.mode match', async () => {
    const bundle = await s.client.search({
      resourceType: 'Observation',
      searchParams: { patient: patientId },
    });
    expect(bundle.entry).toHaveLength(5);
    for (const entry of bundle.entry) {
      expect(entry.fullUrl).toBe(`${s.sandbox.url}/Observation/${entry.resource.id}`);
      expect(entry.search).toEqual({ mode: 'match' });
    }
  });

  test('_count=2 over 5 results: total 5, a self and a next link, and nextPage walks all 5 once', async () => {
    let bundle = await s.client.search({
      resourceType: 'Observation',
      searchParams: { patient: patientId, _count: 2 },
    });
    expect(bundle.total).toBe(5);
    expect(bundle.link.map((l: any) => l.relation)).toEqual(expect.arrayContaining(['self', 'next']));
    const seen: string[] = [...idsOf(bundle)];
    let pages = 1;
    while (bundle.link.some((l: any) => l.relation === 'next')) {
      bundle = await s.client.nextPage({ bundle });
      expect(bundle.total).toBe(5);
      seen.push(...idsOf(bundle));
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual([...created].sort());
  });

  test('the self link is absolute and repeats the parameters that were used', async () => {
    const bundle = await s.client.search({
      resourceType: 'Observation',
      searchParams: { patient: patientId, _count: 2 },
    });
    const self = new URL(bundle.link.find((l: any) => l.relation === 'self').url);
    expect(`${self.origin}${self.pathname}`).toBe(`${s.sandbox.url}/Observation`);
    expect(self.searchParams.get('patient')).toBe(`Patient/${patientId}`);
    expect(self.searchParams.get('_count')).toBe('2');
  });

  test('a page beyond the results is empty, keeps the honest total and has no next link', async () => {
    const res = await s.http(`/Observation?patient=${patientId}&_count=2&_offset=10`);
    expect(res.status).toBe(200);
    const bundle = await json(res);
    expect(bundle.total).toBe(5);
    expect(bundle.entry ?? []).toEqual([]);
    expect(bundle.link.map((l: any) => l.relation)).not.toContain('next');
  });

  test('a _count above the largest page is clamped, and the self link says so', async () => {
    const bundle = await json(await s.http(`/Observation?patient=${patientId}&_count=100000`));
    expect(bundle.entry).toHaveLength(5);
    const self = new URL(bundle.link.find((l: any) => l.relation === 'self').url);
    expect(Number(self.searchParams.get('_count'))).toBeLessThan(100000);
  });
});

describe('3. conditional references inside a transaction are resolved', () => {
  const transaction = (reference: string, extra: object[] = []) => ({
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      ...extra,
      {
        resource: {
          resourceType: 'Observation',
          status: 'final',
          code: { text: 'mood' },
          subject: { reference },
        },
        request: { method: 'POST', url: 'Observation' },
      },
    ],
  });

  test('one match: the reference is stored as Patient/<id>', async () => {
    const p = await createPatient();
    const response = await s.client.transaction({
      body: transaction(`Patient?identifier=${SYS}|${p.value}`),
    });
    const location: string = response.entry[0].response.location;
    const stored = await s.client.read({ resourceType: 'Observation', id: location.split('/')[1]! });
    expect(stored.subject.reference).toBe(`Patient/${p.id}`);
  });

  test('no match: the transaction fails with an OperationOutcome naming the entry, nothing stored', async () => {
    const before = s.sandbox.repository.size;
    const failure = await failureOf(
      s.client.transaction({ body: transaction(`Patient?identifier=${SYS}|${unique()}`, [patientEntry()]) }),
    );
    expect(failure.status).toBeGreaterThanOrEqual(400);
    expect(failure.status).toBeLessThan(500);
    expect(failure.data.resourceType).toBe('OperationOutcome');
    expect(expressionsOf(failure.data).some((e) => e.startsWith('Bundle.entry[1]'))).toBe(true);
    expect(s.sandbox.repository.size).toBe(before);
  });

  test('several matches: the transaction fails with an OperationOutcome naming the entry', async () => {
    const value = unique();
    await createPatient(value);
    await createPatient(value);
    const failure = await failureOf(
      s.client.transaction({ body: transaction(`Patient?identifier=${SYS}|${value}`) }),
    );
    expect(failure.status).toBe(412);
    expect(expressionsOf(failure.data).some((e) => e.startsWith('Bundle.entry[0]'))).toBe(true);
  });
});

function patientEntry(value = unique()) {
  return {
    resource: { resourceType: 'Patient', identifier: [{ system: SYS, value }] },
    request: { method: 'POST', url: 'Patient' },
  };
}

describe('4. unknown search parameters and resource types are never a silent empty match', () => {
  test('lenient (the default): an unknown parameter is ignored, left out of the self link and reported', async () => {
    const p = await createPatient();
    const bundle = await s.client.search({
      resourceType: 'Patient',
      searchParams: { identifier: `${SYS}|${p.value}`, 'favourite-colour': 'blue' },
    });
    expect(idsOf(bundle)).toEqual([p.id]);
    const self = new URL(bundle.link.find((l: any) => l.relation === 'self').url);
    expect(self.searchParams.has('favourite-colour')).toBe(false);
    const outcome = bundle.entry.find((e: any) => e.search?.mode === 'outcome')?.resource;
    expect(JSON.stringify(outcome)).toContain('favourite-colour');
  });

  test('_sort on an unknown parameter is not used (reported), _sort on a known one orders the page', async () => {
    const a = await createPatient('sort-b-' + unique());
    const b = await createPatient('sort-a-' + unique());
    const ids = `${a.id},${b.id}`;
    const unknown = await json(await s.http(`/Patient?_id=${ids}&_sort=shoe-size`));
    expect(JSON.stringify(unknown.entry.find((e: any) => e.search.mode === 'outcome'))).toContain('_sort');
    const sorted = await json(await s.http(`/Patient?_id=${ids}&_sort=identifier`));
    expect(idsOf(sorted)).toEqual([b.id, a.id]);
  });

  test('Prefer: handling=strict refuses an unknown parameter with 400', async () => {
    const res = await s.http('/Patient?favourite-colour=blue', { headers: { prefer: 'handling=strict' } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await json(res))).toContain('favourite-colour');
  });

  test('a conditional create whose If-None-Exist misspells a parameter is refused (400), never duplicated', async () => {
    const p = await createPatient();
    for (let i = 0; i < 2; i++) {
      const res = await s.http('/Patient', {
        method: 'POST',
        headers: { 'if-none-exist': `identifer=${SYS}|${p.value}` },
        body: JSON.stringify({ resourceType: 'Patient', identifier: [{ system: SYS, value: p.value }] }),
      });
      expect(res.status).toBe(400);
    }
    const bundle = await s.client.search({
      resourceType: 'Patient',
      searchParams: { identifier: `${SYS}|${p.value}` },
    });
    expect(bundle.total).toBe(1);
  });

  test('a transaction entry whose ifNoneExist misspells a parameter fails the transaction (400) naming the entry', async () => {
    const before = s.sandbox.repository.size;
    const value = unique();
    const failure = await failureOf(
      s.client.transaction({
        body: {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [
            patientEntry(),
            {
              resource: { resourceType: 'Patient', identifier: [{ system: SYS, value }] },
              request: { method: 'POST', url: 'Patient', ifNoneExist: `identifer=${SYS}|${value}` },
            },
          ],
        },
      }),
    );
    expect(failure.status).toBe(400);
    expect(expressionsOf(failure.data)).toContain('Bundle.entry[1].request.ifNoneExist');
    expect(s.sandbox.repository.size).toBe(before);
  });

  test('a conditional update with an unknown parameter is refused (400)', async () => {
    const res = await s.http(`/Patient?identifer=${SYS}|${unique()}`, {
      method: 'PUT',
      body: JSON.stringify({ resourceType: 'Patient' }),
    });
    expect(res.status).toBe(400);
  });

  test.each([
    ['GET /Comunication?identifier=x', 'GET', '/Comunication?identifier=x'],
    ['POST /Foo', 'POST', '/Foo'],
    ['GET /Foo/1', 'GET', '/Foo/1'],
    ['GET /_history (system history is not offered)', 'GET', '/_history'],
    ['GET /Patient/_history (type history is not offered)', 'GET', '/Patient/_history'],
  ])('%s → 404 with an OperationOutcome', async (_name, method, path) => {
    const res = await s.http(
      path,
      method === 'POST' ? { method, body: '{"resourceType":"Foo"}' } : { method },
    );
    expect(res.status).toBe(404);
    expect((await json(res)).resourceType).toBe('OperationOutcome');
  });
});

describe('5. create-by-update answers 201 with Location', () => {
  const patientBody = (id: string) => ({ resourceType: 'Patient', id, active: true });

  test('PUT Patient/<new id> → 201, Location and ETag W/"1"', async () => {
    const id = `new-${unique()}`;
    const res = await s.http(`/Patient/${id}`, { method: 'PUT', body: JSON.stringify(patientBody(id)) });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`${s.sandbox.url}/Patient/${id}/_history/1`);
    expect(res.headers.get('etag')).toBe('W/"1"');
  });

  test('PUT Patient/<existing id> → 200 and version 2 (fhir-kit-client update)', async () => {
    const id = `upd-${unique()}`;
    await s.client.update({ resourceType: 'Patient', id, body: patientBody(id) });
    const updated = await s.client.update({
      resourceType: 'Patient',
      id,
      body: { ...patientBody(id), active: false },
    });
    expect(updated.meta.versionId).toBe('2');
    const res = await s.http(`/Patient/${id}`, { method: 'PUT', body: JSON.stringify(patientBody(id)) });
    expect(res.status).toBe(200);
  });

  test('PUT on a deleted id → 201 with Location', async () => {
    const id = `del-${unique()}`;
    await s.client.update({ resourceType: 'Patient', id, body: patientBody(id) });
    await s.client.delete({ resourceType: 'Patient', id });
    const res = await s.http(`/Patient/${id}`, { method: 'PUT', body: JSON.stringify(patientBody(id)) });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toMatch(new RegExp(`/Patient/${id}/_history/3$`));
  });

  test('a transaction PUT entry for a new id answers 201 with its location', async () => {
    const id = `tx-${unique()}`;
    const response = await s.client.transaction({
      body: {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ resource: patientBody(id), request: { method: 'PUT', url: `Patient/${id}` } }],
      },
    });
    expect(response.entry[0].response.status).toMatch(/^201/);
    expect(response.entry[0].response.location).toBe(`Patient/${id}/_history/1`);
  });
});

describe('6. the CapabilityStatement is valid R4 and claims only what works', () => {
  let cs: any;
  beforeAll(async () => {
    cs = await s.client.capabilityStatement();
  });

  test('it passes the project validator with no error', () => {
    const verdict = createValidator().validate(cs);
    const errors = (verdict.issue ?? []).filter((i) => i.severity === 'error' || i.severity === 'fatal');
    expect(errors).toEqual([]);
  });

  test('it lists no SubscriptionStatus (not an R4 resource), and POST /SubscriptionStatus → 404', async () => {
    expect(cs.rest[0].resource.map((r: any) => r.type)).not.toContain('SubscriptionStatus');
    const res = await s.http('/SubscriptionStatus', {
      method: 'POST',
      body: JSON.stringify({ resourceType: 'SubscriptionStatus', status: 'active', type: 'handshake' }),
    });
    expect(res.status).toBe(404);
  });

  test('every search parameter it lists, on every type, is used by a search (not reported as ignored)', async () => {
    const ignored: string[] = [];
    for (const resource of cs.rest[0].resource) {
      for (const param of resource.searchParam ?? []) {
        const value = param.type === 'reference' ? 'Patient/x' : 'x';
        const res = await s.http(`/${resource.type}?${param.name}=${encodeURIComponent(value)}`, {
          headers: { prefer: 'handling=strict' },
        });
        if (res.status !== 200) ignored.push(`${resource.type}.${param.name} → ${res.status}`);
        else await res.arrayBuffer();
      }
    }
    expect(ignored).toEqual([]);
  });

  test('its interactions are the ones the sandbox answers: read, vread, update, delete, history-instance, create, search-type; transaction and batch', () => {
    const patient = cs.rest[0].resource.find((r: any) => r.type === 'Patient');
    expect(patient.interaction.map((i: any) => i.code).sort()).toEqual(
      ['create', 'delete', 'history-instance', 'read', 'search-type', 'update', 'vread'].sort(),
    );
    expect(patient.updateCreate).toBe(true);
    expect(cs.rest[0].interaction.map((i: any) => i.code).sort()).toEqual(['batch', 'transaction']);
    expect(cs.rest[0].interaction.map((i: any) => i.code)).not.toContain('history-system');
  });

  test('the claimed conditional delete (single) deletes the one match and refuses several (412)', async () => {
    const p = await createPatient();
    const one = await s.http(`/Patient?identifier=${SYS}|${p.value}`, { method: 'DELETE' });
    expect(one.status).toBe(200);
    expect((await s.http(`/Patient/${p.id}`)).status).toBe(410);
    const value = unique();
    await createPatient(value);
    await createPatient(value);
    expect((await s.http(`/Patient?identifier=${SYS}|${value}`, { method: 'DELETE' })).status).toBe(412);
  });

  test('the claimed versioned update honours If-Match: the current version passes, another → 412', async () => {
    const id = `ifm-${unique()}`;
    await s.client.update({ resourceType: 'Patient', id, body: { resourceType: 'Patient', id } });
    const put = (etag: string) =>
      s.http(`/Patient/${id}`, {
        method: 'PUT',
        headers: { 'if-match': etag },
        body: JSON.stringify({ resourceType: 'Patient', id, active: true }),
      });
    expect((await put('W/"9"')).status).toBe(412);
    const ok = await put('W/"1"');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('etag')).toBe('W/"2"');
  });

  test('the claimed conditional create and update: one copy per identifier, created then replaced', async () => {
    const value = unique();
    const body = JSON.stringify({ resourceType: 'Patient', identifier: [{ system: SYS, value }] });
    const first = await s.http('/Patient', {
      method: 'POST',
      headers: { 'if-none-exist': `identifier=${SYS}|${value}` },
      body,
    });
    const again = await s.http('/Patient', {
      method: 'POST',
      headers: { 'if-none-exist': `identifier=${SYS}|${value}` },
      body,
    });
    expect([first.status, again.status]).toEqual([201, 200]);
    const updated = await s.http(`/Patient?identifier=${SYS}|${value}`, { method: 'PUT', body });
    expect(updated.status).toBe(200);
    expect((await json(updated)).meta.versionId).toBe('2');
    const created = await s.http(`/Patient?identifier=${SYS}|${unique()}`, { method: 'PUT', body });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toMatch(/\/Patient\/[^/]+\/_history\/1$/);
  });

  test('history-instance and vread work as claimed', async () => {
    const id = `hist-${unique()}`;
    await s.client.update({ resourceType: 'Patient', id, body: { resourceType: 'Patient', id } });
    await s.client.update({
      resourceType: 'Patient',
      id,
      body: { resourceType: 'Patient', id, active: true },
    });
    const history = await json(await s.http(`/Patient/${id}/_history`));
    expect(history.type).toBe('history');
    expect(history.total).toBe(2);
    const v1 = await json(await s.http(`/Patient/${id}/_history/1`));
    expect(v1.active).toBeUndefined();
  });
});

describe('8. the rest of the RESTful API: _search by POST, Prefer, formats, 405, delete, ETag, failing entries', () => {
  test('POST Patient/_search form-encoded (fhir-kit-client postSearch) finds the patient', async () => {
    const p = await createPatient();
    const bundle = await s.client.search({
      resourceType: 'Patient',
      searchParams: { identifier: `${SYS}|${p.value}` },
      options: { postSearch: true },
    });
    expect(idsOf(bundle)).toEqual([p.id]);
  });

  const create = (prefer?: string) =>
    s.http('/Patient', {
      method: 'POST',
      headers: prefer ? { prefer } : {},
      body: JSON.stringify({ resourceType: 'Patient', active: true }),
    });

  test('Prefer: return=minimal → 201 with Location and no body', async () => {
    const res = await create('return=minimal');
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toMatch(/\/Patient\/[^/]+\/_history\/1$/);
    expect(await res.text()).toBe('');
  });

  test('Prefer: return=OperationOutcome → 201 with an OperationOutcome body', async () => {
    const res = await create('return=OperationOutcome');
    expect(res.status).toBe(201);
    expect((await json(res)).resourceType).toBe('OperationOutcome');
  });

  test('Prefer: return=representation (and no Prefer) → 201 with the resource', async () => {
    expect((await json(await create('return=representation'))).resourceType).toBe('Patient');
    expect((await json(await create())).resourceType).toBe('Patient');
  });

  test.each([
    ['Accept: application/fhir+xml', '/metadata', { accept: 'application/fhir+xml' }],
    ['Accept: application/xml on a search', '/Patient', { accept: 'application/xml' }],
    ['_format=xml', '/Patient?_format=xml', {}],
    ['_format=application/fhir+xml', '/metadata?_format=application/fhir%2Bxml', {}],
  ])('%s → 406 (XML is not offered)', async (_name, path, headers) => {
    const res = await s.http(path, { headers });
    expect(res.status).toBe(406);
  });

  test('Accept: application/json and _format=json are served', async () => {
    expect((await s.http('/Patient?_count=1', { headers: { accept: 'application/json' } })).status).toBe(200);
    expect((await s.http('/Patient?_count=1&_format=json')).status).toBe(200);
  });

  test.each([
    ['PATCH on a resource', 'PATCH', '/Patient/x'],
    ['PUT on /metadata', 'PUT', '/metadata'],
    ['OPTIONS on /Patient', 'OPTIONS', '/Patient'],
  ])('%s → 405 with Allow', async (_name, method, path) => {
    const res = await s.http(path, {
      method,
      ...(method === 'PATCH' || method === 'PUT' ? { body: '[]' } : {}),
    });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toMatch(/GET/);
  });

  test('deleting twice answers 200 both times (R4 http.html#delete)', async () => {
    const p = await createPatient();
    expect((await s.http(`/Patient/${p.id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await s.http(`/Patient/${p.id}`, { method: 'DELETE' })).status).toBe(200);
  });

  test('a read carries ETag W/"<version>"; a search answer carries none', async () => {
    const p = await createPatient();
    const read = await s.http(`/Patient/${p.id}`);
    expect(read.headers.get('etag')).toBe('W/"1"');
    const search = await s.http('/Patient?_count=1');
    expect(search.headers.get('etag')).toBeNull();
  });

  test('a failing transaction names the failing entry (Bundle.entry[i]) in its OperationOutcome', async () => {
    const failure = await failureOf(
      s.client.transaction({
        body: {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [
            patientEntry(),
            {
              resource: { resourceType: 'Patient', gender: 'not-a-gender' },
              request: { method: 'POST', url: 'Patient' },
            },
          ],
        },
      }),
    );
    expect(failure.status).toBe(422);
    expect(expressionsOf(failure.data).some((e) => e.startsWith('Bundle.entry[1]'))).toBe(true);
  });

  test.each([
    [
      'a POST entry whose resource is not of its URL type',
      [
        {
          resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' } },
          request: { method: 'POST', url: 'Patient' },
        },
      ],
      'Bundle.entry[1].request.url',
    ],
    [
      'a GET entry for a resource that does not exist',
      [{ request: { method: 'GET', url: 'Patient/no-such-patient' } }],
      'Bundle.entry[1]',
    ],
    [
      'a PUT entry whose If-Match names another version',
      [
        {
          resource: { resourceType: 'Patient', id: 'if-match-1' },
          request: { method: 'PUT', url: 'Patient/if-match-1', ifMatch: 'W/"9"' },
        },
      ],
      'Bundle.entry[1]',
    ],
  ])('a transaction failing at %s names that entry', async (_name, entries, expression) => {
    await s.client.update({
      resourceType: 'Patient',
      id: 'if-match-1',
      body: { resourceType: 'Patient', id: 'if-match-1' },
    });
    const before = s.sandbox.repository.size;
    const failure = await failureOf(
      s.client.transaction({
        body: { resourceType: 'Bundle', type: 'transaction', entry: [patientEntry(), ...entries] },
      }),
    );
    expect(failure.status).toBeGreaterThanOrEqual(400);
    expect(failure.status).toBeLessThan(500);
    expect(expressionsOf(failure.data).some((e) => e.startsWith(expression))).toBe(true);
    expect(s.sandbox.repository.size).toBe(before);
  });
});
