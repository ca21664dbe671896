import { consentStanding, type Standing } from '../../src/app/dashboard/consent-standing';
import type { ConsentRecord, RevocationRecord } from '../../src/domain/records';

/**
 * Where a consent stands on the dashboard (DESIGN.md §5 "Consent lifecycle"; date-only bounds
 * are whole days in the practice's zone), case by case.
 */

const ZONE = 'America/Los_Angeles';
const CONSENT: ConsentRecord = {
  id: 'CON-1',
  referralId: 'REF-1',
  clientMrn: 'KAP-000123',
  recipientNpi: '1234567893',
  decision: 'permit',
  share: ['session-focus'],
  validFrom: '2026-11-05',
  validUntil: '2026-11-23',
  signedAt: '2026-11-05T10:12:00-08:00',
  signedBy: 'client',
};
const revocation = (consentId: string, revokedAt: string): RevocationRecord => ({
  consentId,
  revokedAt,
  reason: 'stop',
  receivedBy: 'front desk',
  method: 'verbal',
});

const cases: Array<{
  situation: string;
  consent?: Partial<ConsentRecord>;
  revocations?: RevocationRecord[];
  stored?: string;
  at: string;
  standing: Standing;
}> = [
  { situation: 'a permit inside its period', at: '2026-11-20T12:00:00-08:00', standing: 'in-force' },
  {
    situation: 'the last evening of a date-only validUntil, practice time',
    at: '2026-11-23T23:30:00-08:00',
    standing: 'in-force',
  },
  { situation: 'half an hour after that day ends', at: '2026-11-24T00:30:00-08:00', standing: 'expired' },
  { situation: 'before validFrom', at: '2026-11-04T23:00:00-08:00', standing: 'not-yet-valid' },
  {
    situation: 'a deny consent',
    consent: { decision: 'deny', share: [] },
    at: '2026-11-20T12:00:00-08:00',
    standing: 'refused',
  },
  {
    situation: 'its own revocation',
    revocations: [revocation('CON-1', '2026-11-10T09:00:00-08:00')],
    at: '2026-11-20T12:00:00-08:00',
    standing: 'revoked',
  },
  {
    situation: 'the revocation of another consent for the same recipient, signed after this one',
    revocations: [revocation('CON-0', '2026-11-10T09:00:00-08:00')],
    at: '2026-11-20T12:00:00-08:00',
    standing: 'revoked',
  },
  {
    situation: 'stored inactive because a newer consent came first',
    stored: 'inactive',
    at: '2026-11-20T12:00:00-08:00',
    standing: 'superseded',
  },
];

test.each(cases)('$situation → $standing', ({ consent, revocations = [], stored, at, standing }) => {
  const record = { ...CONSENT, ...consent };
  const result = consentStanding(
    record,
    { consents: [record], revocations },
    stored ?? 'active',
    new Date(at),
    ZONE,
  );
  expect(result.standing).toBe(standing);
  if (standing === 'revoked') expect(result.revokedAt).toBe(revocations[0]?.revokedAt);
  else expect(result).not.toHaveProperty('revokedAt');
});
