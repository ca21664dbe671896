import type { Sandbox } from '../../src/sandbox';
import { startSandbox } from '../../src/sandbox';
import { IDENTIFIER_SYSTEM } from '../../src/fhir/canonical';
import refusedCreates from '../../fixtures/sandbox/refused-creates.json';
import { communication, fhirWithToken, patient } from './fhir-http';

const MRN = IDENTIFIER_SYSTEM.mrn;
const UPDATE = IDENTIFIER_SYSTEM.integrationUpdate;
const PATIENT_URN = 'urn:uuid:8f0b6c1e-2d4a-4c1b-9e3f-0a1b2c3d4e5f';

let sandbox: Sandbox;
/** Requests with the sandbox's token (set once it has started). */
let fhir: ReturnType<typeof fhirWithToken>;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  fhir = fhirWithToken(sandbox.token);
});
afterAll(() => sandbox.close());

/** A delivery-shaped transaction: conditional create of the Patient and of a Communication about it. */
function deliveryBundle(
  type: 'transaction' | 'batch',
  mrn: string,
  updateId: string,
  communicationExtra = {},
) {
  return {
    resourceType: 'Bundle',
    type,
    entry: [
      {
        fullUrl: PATIENT_URN,
        resource: patient(MRN, mrn),
        request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${MRN}|${mrn}` },
      },
      {
        resource: communication(UPDATE, updateId, PATIENT_URN, communicationExtra),
        request: { method: 'POST', url: 'Communication', ifNoneExist: `identifier=${UPDATE}|${updateId}` },
      },
    ],
  };
}

async function countByIdentifier(type: string, system: string, value: string): Promise<number> {
  const reply = await fhir(`${sandbox.url}/${type}?identifier=${encodeURIComponent(`${system}|${value}`)}`);
  expect(reply.status).toBe(200);
  return reply.body.total;
}

describe('sandbox FHIR server over HTTP', () => {
  test('GET /fhir/metadata answers a CapabilityStatement offering transaction, batch and conditional create/update', async () => {
    const reply = await fhir(`${sandbox.url}/metadata`);
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toContain('application/fhir+json');
    expect(reply.body.resourceType).toBe('CapabilityStatement');
    expect(reply.body.fhirVersion).toBe('4.0.1');
    const rest = reply.body.rest[0];
    expect(rest.interaction.map((i: { code: string }) => i.code).sort()).toEqual(['batch', 'transaction']);
    const comm = rest.resource.find((r: { type: string }) => r.type === 'Communication');
    expect(comm).toMatchObject({
      conditionalCreate: true,
      conditionalUpdate: true,
      versioning: 'versioned-update',
    });
    expect(comm.searchParam.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['_id', 'identifier', 'patient', 'subject']),
    );
    expect(comm.interaction.map((i: { code: string }) => i.code)).not.toContain('patch');
  });

  test('a create answers 201 with Location, ETag and version 1; read and vread return it', async () => {
    const created = await fhir(`${sandbox.url}/Patient`, { body: patient(MRN, 'create-1') });
    expect(created.status).toBe(201);
    const { id } = created.body;
    expect(created.headers.get('location')).toBe(`${sandbox.url}/Patient/${id}/_history/1`);
    expect(created.headers.get('etag')).toBe('W/"1"');
    expect(created.body.meta.versionId).toBe('1');
    expect((await fhir(`${sandbox.url}/Patient/${id}`)).body.identifier[0].value).toBe('create-1');
    expect((await fhir(`${sandbox.url}/Patient/${id}/_history/1`)).status).toBe(200);
  });

  test('a conditional create sent twice (If-None-Exist) leaves one copy and the second answers 200 with it', async () => {
    const send = () =>
      fhir(`${sandbox.url}/Patient`, {
        body: patient(MRN, 'cc-1'),
        headers: { 'if-none-exist': `identifier=${MRN}|cc-1` },
      });
    const first = await send();
    const second = await send();
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    expect(await countByIdentifier('Patient', MRN, 'cc-1')).toBe(1);
  });

  test('concurrent conditional creates of one identifier leave one copy', async () => {
    const body = patient(MRN, 'race-1');
    const headers = { 'if-none-exist': `identifier=${MRN}|race-1` };
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => fhir(`${sandbox.url}/Patient`, { body, headers })),
    );
    expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    expect(await countByIdentifier('Patient', MRN, 'race-1')).toBe(1);
  });

  test('a conditional update (PUT Type?identifier=…) creates, then replaces the same resource as version 2', async () => {
    const url = `${sandbox.url}/Communication?identifier=${encodeURIComponent(`${UPDATE}|cu-1`)}`;
    const first = await fhir(url, { method: 'PUT', body: communication(UPDATE, 'cu-1', 'Patient/p1') });
    expect(first.status).toBe(201);
    const second = await fhir(url, {
      method: 'PUT',
      body: communication(UPDATE, 'cu-1', 'Patient/p1', { status: 'entered-in-error' }),
    });
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    expect(second.body.meta.versionId).toBe('2');
    expect(second.headers.get('etag')).toBe('W/"2"');
    const current = await fhir(`${sandbox.url}/Communication/${first.body.id}`);
    expect(current.body.status).toBe('entered-in-error');
    const history = await fhir(`${sandbox.url}/Communication/${first.body.id}/_history`);
    expect(
      history.body.entry.map((e: { resource: { meta: { versionId: string } } }) => e.resource.meta.versionId),
    ).toEqual(['2', '1']);
    expect((await fhir(`${sandbox.url}/Communication/${first.body.id}/_history/1`)).body.status).toBe(
      'completed',
    );
    expect(await countByIdentifier('Communication', UPDATE, 'cu-1')).toBe(1);
  });

  test('a transaction with one invalid entry stores nothing and answers one OperationOutcome', async () => {
    const before = sandbox.repository.size;
    const bundle = deliveryBundle('transaction', 'tx-bad', 'tx-bad-c', { sent: 'yesterday' });
    const reply = await fhir(sandbox.url, { body: bundle });
    expect(reply.status).toBe(422);
    expect(reply.body.resourceType).toBe('OperationOutcome');
    expect(reply.body.issue[0].severity).toBe('error');
    expect(sandbox.repository.size).toBe(before);
    expect(await countByIdentifier('Patient', MRN, 'tx-bad')).toBe(0);
  });

  test('a delivery transaction sent twice creates each resource once and points the Communication at the Patient', async () => {
    const first = await fhir(sandbox.url, { body: deliveryBundle('transaction', 'tx-1', 'tx-1-c') });
    expect(first.status).toBe(200);
    expect(first.body.type).toBe('transaction-response');
    expect(first.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual([
      '201',
      '201',
    ]);
    const patientId = first.body.entry[0].resource.id;
    expect(first.body.entry[0].response.location).toBe(`Patient/${patientId}/_history/1`);
    expect(first.body.entry[1].resource.subject.reference).toBe(`Patient/${patientId}`);
    const second = await fhir(sandbox.url, { body: deliveryBundle('transaction', 'tx-1', 'tx-1-c') });
    expect(second.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual([
      '200',
      '200',
    ]);
    expect(await countByIdentifier('Patient', MRN, 'tx-1')).toBe(1);
    expect(await countByIdentifier('Communication', UPDATE, 'tx-1-c')).toBe(1);
  });

  test('a batch answers a status per entry: created, unprocessable, not found', async () => {
    const bundle = deliveryBundle('batch', 'batch-1', 'batch-1-c', { status: 42 });
    bundle.entry.push({ request: { method: 'GET', url: 'Patient/does-not-exist' } } as never);
    const reply = await fhir(sandbox.url, { body: bundle });
    expect(reply.status).toBe(200);
    expect(reply.body.type).toBe('batch-response');
    expect(reply.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual([
      '201',
      '422',
      '404',
    ]);
    expect(reply.body.entry[1].response.outcome.resourceType).toBe('OperationOutcome');
    expect(
      reply.body.entry.map((e: { response: { outcome?: { id?: string } } }) => e.response.outcome?.id),
    ).toEqual([undefined, undefined, undefined]);
    expect(await countByIdentifier('Patient', MRN, 'batch-1')).toBe(1);
  });

  test('searches by identifier (with and without system), _id, patient and _count find what was created', async () => {
    const p = await fhir(`${sandbox.url}/Patient`, { body: patient(MRN, 'search-1') });
    const pid = p.body.id;
    for (const n of [1, 2, 3]) {
      await fhir(`${sandbox.url}/Communication`, {
        body: communication(UPDATE, `search-c${n}`, `Patient/${pid}`),
      });
    }
    const bySystem = await fhir(`${sandbox.url}/Patient?identifier=${encodeURIComponent(`${MRN}|search-1`)}`);
    expect(bySystem.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual([pid]);
    expect((await fhir(`${sandbox.url}/Patient?identifier=search-1`)).body.total).toBe(1);
    expect(
      (await fhir(`${sandbox.url}/Patient?identifier=${encodeURIComponent('urn:other|search-1')}`)).body
        .total,
    ).toBe(0);
    expect((await fhir(`${sandbox.url}/Patient?_id=${pid}`)).body.total).toBe(1);
    const byPatient = await fhir(`${sandbox.url}/Communication?patient=Patient/${pid}&_count=2`);
    expect(byPatient.body.total).toBe(3);
    expect(byPatient.body.entry).toHaveLength(2);
    expect((await fhir(`${sandbox.url}/Communication?subject=Patient/${pid}`)).body.total).toBe(3);
  });

  test('a deleted resource reads as 410 Gone and drops out of identifier search', async () => {
    const p = await fhir(`${sandbox.url}/Patient`, { body: patient(MRN, 'delete-1') });
    expect((await fhir(`${sandbox.url}/Patient/${p.body.id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await fhir(`${sandbox.url}/Patient/${p.body.id}`)).status).toBe(410);
    expect(await countByIdentifier('Patient', MRN, 'delete-1')).toBe(0);
  });

  test.each(refusedCreates)(
    'a create with $name answers $status with an OperationOutcome and stores nothing',
    async (c) => {
      const before = sandbox.repository.size;
      const reply = await fhir(`${sandbox.url}/${c.path}`, { body: c.body });
      expect(reply.status).toBe(c.status);
      expect(reply.body.resourceType).toBe('OperationOutcome');
      expect(reply.body.issue[0].code).toBe(c.code);
      // The outcome is answered inline: no id (medplum's status token is not for clients).
      expect(reply.body.id).toBeUndefined();
      expect(sandbox.repository.size).toBe(before);
    },
  );

  test('a create carrying an extension the sandbox does not know is stored: a receiver may ignore it', async () => {
    const body = {
      ...patient(MRN, 'unknown-extension'),
      extension: [
        { url: 'https://ehr.invalid/fhir/StructureDefinition/favourite-colour', valueString: 'blue' },
      ],
    };
    const reply = await fhir(`${sandbox.url}/Patient`, { body });
    expect(reply.status).toBe(201);
    expect(reply.body.extension).toEqual(body.extension);
  });

  test('a path outside /fhir answers 404 with an OperationOutcome', async () => {
    const reply = await fhir(sandbox.url.replace(/\/fhir$/, '/nope'));
    expect(reply.status).toBe(404);
    expect(reply.body.issue[0].code).toBe('not-found');
  });
});
