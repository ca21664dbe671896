import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle } from '@medplum/fhirtypes';
import {
  parseConsent,
  parseIntegrationUpdate,
  parseReferral,
  parseReferralStatus,
  parseRevocation,
} from '../../src/domain/parse-records';
import {
  bundleConsent,
  bundleReferral,
  bundleReferralStatus,
  bundleRevocation,
  bundleUpdate,
} from '../../src/mapping/bundle';

/** A mapping case: `fixtures/mapping/<name>/case.json` (+ `expected.json`, the Bundle). */
export interface MappingCase {
  name: string;
  description: string;
  kind: 'referral' | 'consent' | 'revocation' | 'update' | 'referral-status';
  /** File names under fixtures/records/. */
  input: string;
  referral?: string;
  consent?: string;
  options?: Record<string, unknown>;
}

export const FIXTURES = join(__dirname, '..', '..', 'fixtures');
const CASES_DIR = join(FIXTURES, 'mapping');

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8')) as unknown;
}

/** Every case folder, sorted by name. */
export function loadMappingCases(): MappingCase[] {
  return readdirSync(CASES_DIR)
    .sort()
    .map((name) => ({
      name,
      ...(readJson(join(CASES_DIR, name, 'case.json')) as Omit<MappingCase, 'name'>),
    }));
}

export function expectedBundle(c: MappingCase): Bundle {
  return readJson(join(CASES_DIR, c.name, 'expected.json')) as Bundle;
}

function record<T>(file: string, parse: (x: unknown) => { ok: true; value: T } | { ok: false }): T {
  const parsed = parse(readJson(join(FIXTURES, 'records', file)));
  if (!parsed.ok) throw new Error(`fixture ${file} is not a valid record`);
  return parsed.value;
}

/** Parses the case's records and maps them to a collection Bundle. */
export function mapCase(c: MappingCase): Bundle {
  const options = c.options ?? {};
  if (c.kind === 'referral') return bundleReferral(record(c.input, parseReferral), options);
  const referral = record(c.referral ?? '', parseReferral);
  switch (c.kind) {
    case 'consent':
      return bundleConsent(record(c.input, parseConsent), referral, options);
    case 'revocation':
      return bundleRevocation(
        record(c.consent ?? '', parseConsent),
        record(c.input, parseRevocation),
        referral,
        options,
      );
    case 'update':
      return bundleUpdate(record(c.input, parseIntegrationUpdate), referral, options);
    case 'referral-status':
      return bundleReferralStatus(record(c.input, parseReferralStatus), referral, options);
  }
}
