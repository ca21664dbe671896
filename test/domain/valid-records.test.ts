import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, checkRecord, readJson, type Kind } from './record-cases';

// Each record fixture, with the kind (from its name) and the referral it refers to.
const records = readdirSync(join(FIXTURES, 'records'))
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => {
    const kind = (file.startsWith('referral-status-') ? 'referral-status' : file.split('-')[0]) as Kind;
    const record = readJson(join(FIXTURES, 'records', file)) as { referralId?: string };
    const referral = readdirSync(join(FIXTURES, 'records')).find(
      (f) =>
        f.startsWith('referral-') &&
        (readJson(join(FIXTURES, 'records', f)) as { id: string }).id === record.referralId,
    );
    return [file, kind, record, referral] as const;
  });

describe('the realistic record fixtures (fixtures/records) are accepted', () => {
  test.each(records)('%s is a valid %s', (_file, kind, record, referral) => {
    expect(checkRecord(kind, record, referral)).toBeUndefined();
  });
});
