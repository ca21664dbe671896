import { checkRecord, loadInvalidCases } from './record-cases';

const cases = loadInvalidCases();

describe('invalid practice records are refused with an OperationOutcome naming each field (fixtures/invalid-records)', () => {
  test('the table covers every record kind', () => {
    expect(new Set(cases.map((c) => c.kind))).toEqual(
      new Set([
        'referral',
        'consent',
        'revocation',
        'revocation-request',
        'update',
        'referral-status',
        'referral-status-request',
      ]),
    );
  });

  test.each(cases.map((c) => [c.name, c.description, c] as const))(
    '%s: when %s, the record is refused with the expected issues',
    (_n, _d, c) => {
      const outcome = checkRecord(c.kind, c.record, c.referral, c.options);
      expect(outcome?.resourceType).toBe('OperationOutcome');
      const got = (outcome?.issue ?? []).map((i) => ({ expression: i.expression?.[0], code: i.code }));
      const sort = (xs: Array<{ expression?: string; code: string }>) =>
        [...xs].sort((a, b) => `${a.expression}|${a.code}`.localeCompare(`${b.expression}|${b.code}`));
      expect(sort(got)).toEqual(sort(c.expected));
      for (const i of outcome?.issue ?? []) {
        expect(i.severity).toBe('error');
        expect(i.details?.text?.length).toBeGreaterThan(10);
      }
    },
  );
});
