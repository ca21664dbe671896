import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { checkConsentAgainstReferral, checkUpdateAgainstReferral } from '../../src/domain/cross-record';
import { checkStatusAgainstReferral } from '../../src/domain/referral-status-rules';
import {
  parseConsent,
  parseIntegrationUpdate,
  parseReferral,
  parseReferralStatus,
  parseReferralStatusRequest,
  parseRevocation,
  parseRevocationRequest,
  type ParseOptions,
} from '../../src/domain/parse-records';

export const FIXTURES = join(__dirname, '..', '..', 'fixtures');

export type Kind =
  | 'referral'
  | 'consent'
  | 'revocation'
  | 'revocation-request'
  | 'update'
  | 'referral-status'
  | 'referral-status-request';

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8')) as unknown;
}

/** An invalid record and the issues it must give: `fixtures/invalid-records/<name>.json`. */
export interface InvalidCase {
  name: string;
  description: string;
  kind: Kind;
  record: unknown;
  /** A file under fixtures/records/: the referral the record refers to. */
  referral?: string;
  options?: ParseOptions;
  expected: Array<{ expression: string; code: string }>;
}

export function loadInvalidCases(): InvalidCase[] {
  const dir = join(FIXTURES, 'invalid-records');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({
      name: f.replace(/\.json$/, ''),
      ...(readJson(join(dir, f)) as Omit<InvalidCase, 'name'>),
    }));
}

function referralFrom(file: string | undefined) {
  if (!file) return undefined;
  const parsed = parseReferral(readJson(join(FIXTURES, 'records', file)));
  if (!parsed.ok) throw new Error(`fixture ${file} is not a valid referral`);
  return parsed.value;
}

/**
 * Checks a record as the use cases will: parse (schema + rules), then the cross-record rules
 * against its referral. Returns the refusal, or undefined when the record is accepted.
 */
export function checkRecord(
  kind: Kind,
  record: unknown,
  referralFile?: string,
  options?: ParseOptions,
): OperationOutcome | undefined {
  switch (kind) {
    case 'referral': {
      const r = parseReferral(record);
      return r.ok ? undefined : r.outcome;
    }
    case 'consent': {
      const r = parseConsent(record);
      return r.ok ? checkConsentAgainstReferral(r.value, referralFrom(referralFile)) : r.outcome;
    }
    case 'update': {
      const r = parseIntegrationUpdate(record, options);
      return r.ok ? checkUpdateAgainstReferral(r.value, referralFrom(referralFile)) : r.outcome;
    }
    case 'revocation': {
      const r = parseRevocation(record);
      return r.ok ? undefined : r.outcome;
    }
    case 'revocation-request': {
      const r = parseRevocationRequest(record);
      return r.ok ? undefined : r.outcome;
    }
    case 'referral-status': {
      const r = parseReferralStatus(record);
      return r.ok ? checkStatusAgainstReferral(r.value, referralFrom(referralFile)) : r.outcome;
    }
    case 'referral-status-request': {
      const r = parseReferralStatusRequest(record);
      return r.ok ? undefined : r.outcome;
    }
  }
}
