import type { OperationOutcome, Resource } from '@medplum/fhirtypes';
import { rememberValidation } from '../../src/app/remembered-validation';
import { loadRecord, openIngestHarness, validator } from './ingest-harness';

/**
 * Ingest remembers validation verdicts by the resource's JSON text: the same answers as the
 * validator, each text walked once, and never a stored resource the validator would refuse.
 */

function counted(refuse: (r: Resource) => boolean = () => false) {
  const walked: string[] = [];
  return {
    validator: {
      validate(r: Resource): OperationOutcome {
        walked.push(r.resourceType);
        if (!refuse(r)) return validator.validate(r);
        const text = `${r.resourceType} refused by the test`;
        return {
          resourceType: 'OperationOutcome',
          issue: [{ severity: 'error', code: 'invalid', details: { text } }],
        };
      },
    },
    walked,
  };
}

const patient = (family: string): Resource => ({ resourceType: 'Patient', id: 'p1', name: [{ family }] });
const bad = { resourceType: 'Patient', id: 'p2', gender: 'nope' } as unknown as Resource;

test('the same text gets the validator’s own verdict, valid or not, from one walk', () => {
  const c = counted();
  const remembered = rememberValidation(c.validator);
  expect(remembered.validate(bad)).toEqual(validator.validate(bad));
  expect(remembered.validate({ ...bad })).toEqual(validator.validate(bad));
  expect(remembered.validate(patient('A'))).toEqual(validator.validate(patient('A')));
  expect(c.walked).toHaveLength(2);
});

test('another text is walked again; the oldest verdict is forgotten first', () => {
  const c = counted();
  const remembered = rememberValidation(c.validator, { capacity: 2 });
  remembered.validate(patient('A'));
  remembered.validate(patient('B'));
  remembered.validate(patient('A')); // remembered
  remembered.validate(patient('C')); // A, the oldest, is forgotten
  expect(c.walked).toHaveLength(3);
  remembered.validate(patient('B')); // still remembered
  expect(c.walked).toHaveLength(3);
  remembered.validate(patient('A'));
  expect(c.walked).toHaveLength(4);
});

test('Bundles, long texts and resources not worth remembering are validated every time', () => {
  const c = counted();
  const remembered = rememberValidation(c.validator, { maxChars: 200 });
  const bundle = { resourceType: 'Bundle', type: 'collection' } as Resource;
  const long = patient('x'.repeat(300));
  for (let i = 0; i < 2; i++) {
    remembered.validate(bundle);
    remembered.validate(long);
  }
  expect(c.walked).toHaveLength(4);
  const onlyPatients = rememberValidation(c.validator, { remembers: (r) => r.resourceType === 'Patient' });
  const flag = { resourceType: 'Flag', id: 'f1' } as Resource;
  for (let i = 0; i < 2; i++) {
    onlyPatients.validate(flag);
    onlyPatients.validate(patient('A'));
  }
  expect(c.walked).toHaveLength(7);
});

describe('ingest through the use cases', () => {
  test('a second referral walks only what differs, and a refused resource is refused every time', async () => {
    const refuseFamily = 'Refused';
    const c = counted((r) => r.resourceType === 'Practitioner' && JSON.stringify(r).includes(refuseFamily));
    const h = await openIngestHarness({ validator: c.validator });
    try {
      const referral = (id: string, mrn: string, family = 'Lee') => {
        const base = loadRecord('referral-clinician-full.json') as Record<string, any>;
        return {
          ...base,
          id,
          client: { ...base.client, mrn },
          referringClinician: {
            ...base.referringClinician,
            name: { ...base.referringClinician.name, family },
          },
        };
      };
      expect((await h.run('referral', referral('REF-1', 'KAP-000001'))).status).toBe('created');
      const first = c.walked.length;
      expect((await h.run('referral', referral('REF-2', 'KAP-000002'))).status).toBe('created');
      // Only the new client's ServiceRequest and Patient differ: the clinician, role and
      // organisations are the ones judged for REF-1.
      expect(c.walked.slice(first).sort()).toEqual(['Patient', 'ServiceRequest']);

      for (const id of ['REF-3', 'REF-3']) {
        const refused = await h.run('referral', referral(id, 'KAP-000003', refuseFamily));
        expect(refused.status).toBe('rejected');
        expect(JSON.stringify(refused.outcome)).toContain('Practitioner refused by the test');
      }
      expect(await h.store.getRecord('referral', 'REF-3')).toBeNull();
    } finally {
      await h.dispose();
    }
  });
});
