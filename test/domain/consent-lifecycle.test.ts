import fs from 'node:fs';
import path from 'node:path';
import {
  endedWith,
  lateBecause,
  refuseChangeAfterRevocation,
  type RecipientHistory,
} from '../../src/domain/consent-lifecycle';
import type { ConsentRecord, RevocationRecord } from '../../src/domain/records';

/** The pure lifecycle rules (DESIGN.md §5), as a table (fixtures/consent-lifecycle/cases.json). */

interface Case {
  situation: string;
  consent: { id: string; signedAt: string };
  consents: Array<{ id: string; signedAt: string }>;
  revocations: Array<{ consentId: string; revokedAt: string }>;
  late: boolean;
  endedBy: string | null;
}

const cases = JSON.parse(
  fs.readFileSync(path.join(__dirname, '../../fixtures/consent-lifecycle/cases.json'), 'utf8'),
) as Case[];

const consent = (c: { id: string; signedAt: string }, recipientNpi = '1234567893'): ConsentRecord => ({
  id: c.id,
  referralId: 'REF-1',
  clientMrn: 'KAP-000123',
  recipientNpi,
  decision: 'permit',
  share: ['session-focus'],
  validFrom: c.signedAt.slice(0, 10),
  signedAt: c.signedAt,
  signedBy: 'client',
});
const revocation = (r: { consentId: string; revokedAt: string }): RevocationRecord => ({
  ...r,
  reason: 'stop',
  receivedBy: 'front desk',
  method: 'verbal',
});
const historyOf = (c: Case): RecipientHistory => ({
  consents: c.consents.map((x) => consent(x)),
  revocations: c.revocations.map(revocation),
});

test.each(cases.map((c) => [c.situation, c] as const))('%s', (_s, c) => {
  expect(lateBecause(consent(c.consent), historyOf(c)) !== undefined).toBe(c.late);
  const refused = refuseChangeAfterRevocation(consent(c.consent), historyOf(c));
  expect(refused?.issue.map((i) => [i.code, i.expression])).toEqual(
    c.endedBy ? [['conflict', ['id']]] : undefined,
  );
  if (c.endedBy)
    expect(refused?.issue[0]?.details?.text).toContain(
      c.endedBy === c.consent.id ? 'its revocation' : c.endedBy,
    );
});

test('a revocation ends the client’s other consents for the same recipient signed before it, and no others', () => {
  const named = consent({ id: 'C-1', signedAt: '2026-11-05T10:00:00-08:00' });
  const others = [
    named,
    consent({ id: 'C-before', signedAt: '2026-11-07T10:00:00-08:00' }),
    consent({ id: 'C-after', signedAt: '2026-11-11T10:00:00-08:00' }),
    consent({ id: 'C-other-clinician', signedAt: '2026-11-07T10:00:00-08:00' }, '1458932047'),
    { ...consent({ id: 'C-other-client', signedAt: '2026-11-07T10:00:00-08:00' }), clientMrn: 'KAP-000999' },
  ];
  const ended = endedWith(
    revocation({ consentId: 'C-1', revokedAt: '2026-11-10T09:00:00-08:00' }),
    named,
    others,
  );
  expect(ended.map((c) => c.id)).toEqual(['C-before']);
});
