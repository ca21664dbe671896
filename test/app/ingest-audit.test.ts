import type { Provenance } from '@medplum/fhirtypes';
import { loadProjectProfiles } from '../../src/adapters/fhir-packages/load-package';
import { createValidator } from '../../src/fhir/validator';
import { loadRecord, openIngestHarness, type IngestHarness } from './ingest-harness';

const validator = createValidator({ packages: loadProjectProfiles() });

describe('ingest writes an audit entry for every stored record version', () => {
  let h: IngestHarness;
  beforeEach(async () => {
    h = await openIngestHarness();
  });
  afterEach(() => h.dispose());

  const recordAudits = async () =>
    (await h.store.listAudit()).filter((a) => a.event.source?.observer?.display === 'kap-bridge ingest');

  test('a stored referral is audited with who (the key name), what (kind, id, version) and the patient', async () => {
    const result = await h.ingest.referral(loadRecord('referral-clinician-full.json'), {
      actor: 'practice-ehr',
    });
    expect(result.status).toBe('created');
    const audits = await recordAudits();
    expect(audits).toHaveLength(1);
    const event = audits[0]!.event;
    expect(event.action).toBe('C');
    expect(event.agent?.[0]?.altId).toBe('practice-ehr');
    expect(event.entity?.[0]?.what?.display).toBe(`referral ${result.recordId} version 1`);
    expect(audits[0]!.patientMrn).toBe(event.entity?.[1]?.what?.identifier?.value);
    // No record content in the audit entry: only ids.
    expect(JSON.stringify(event)).not.toContain('Treatment-resistant');
  });

  test('re-posting the same content writes no second audit entry; changed content is audited as an update', async () => {
    const referral = loadRecord('referral-clinician-full.json');
    await h.ingest.referral(referral, { actor: 'practice-ehr' });
    await h.ingest.referral(referral, { actor: 'practice-ehr' });
    expect(await recordAudits()).toHaveLength(1);
    h.setNow('2026-11-04T17:00:00Z');
    await h.ingest.referral(
      loadRecord('referral-clinician-full.json', { note: 'Third SSRI trial stopped.' }),
      {
        actor: 'front-desk',
      },
    );
    const audits = await recordAudits();
    expect(audits.map((a) => [a.event.action, a.event.agent?.[0]?.altId])).toEqual([
      ['C', 'practice-ehr'],
      ['U', 'front-desk'],
    ]);
  });

  test('a refused record leaves no audit entry of a write (nothing was written)', async () => {
    const result = await h.ingest.referral(
      loadRecord('referral-clinician-full.json', { priority: 'whenever' }),
      {
        actor: 'practice-ehr',
      },
    );
    expect(result.status).toBe('rejected');
    expect(await recordAudits()).toHaveLength(0);
  });
});

describe('resources the practice authored get a Provenance per version', () => {
  let h: IngestHarness;
  beforeEach(async () => {
    h = await openIngestHarness();
  });
  afterEach(() => h.dispose());

  test('a consent and an update each get a valid Provenance naming who authored them; a re-post adds none', async () => {
    await h.ingest.referral(loadRecord('referral-clinician-full.json'));
    h.setNow('2026-11-05T19:00:00Z');
    await h.ingest.consent(loadRecord('consent-client-full.json'));
    h.setNow('2026-11-21T03:00:00Z');
    const update = loadRecord('update-all-observations.json');
    await h.ingest.update(update);
    await h.ingest.update(update);
    const provenances = (await h.store.listResources({ resourceType: 'Provenance' })).map((p) => p.resource);
    const targets = provenances.map((p) => (p as Provenance).target[0]?.reference).sort();
    expect(targets).toEqual([
      expect.stringMatching(/^Communication\/.+\/_history\/1$/),
      expect.stringMatching(/^Consent\/.+\/_history\/1$/),
    ]);
    const forUpdate = provenances.find((p) =>
      (p as Provenance).target[0]?.reference?.startsWith('Communication/'),
    ) as Provenance;
    expect(forUpdate.agent[0]?.who?.reference).toMatch(/^Practitioner\//);
    for (const p of provenances)
      expect(validator.validate(p).issue?.filter((i) => i.severity === 'error')).toEqual([]);
  });
});
