import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { validateResource } from '@medplum/core';
import type { Communication } from '@medplum/fhirtypes';
import { buildDisclosureRequest, redactCommunication, type Decision } from '../../src/consent';
import { EXTENSION } from '../../src/fhir/canonical';
import { indexR4Definitions } from './r4-definitions';

interface RedactionCase {
  description: string;
  communication: Communication;
  decision: Decision;
  /** Share codes of the sections left, and whether the narrative survives; null = nothing sent. */
  expected: { payload: string[]; keepsText: boolean } | null;
}

const dir = path.join(__dirname, '../../fixtures/consent-redaction');
const cases: Array<[string, RedactionCase]> = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => [
    f.replace(/\.json$/, ''),
    JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as RedactionCase,
  ]);

const codesOf = (c: Communication): string[] =>
  (c.payload ?? []).map(
    (p) => p.extension?.find((e) => e.url === EXTENSION.shareCode)?.valueCoding?.code ?? '?',
  );

beforeAll(() => indexR4Definitions());

describe('redaction of a Communication by a decision (fixtures/consent-redaction)', () => {
  test.each(cases)('%s: only permitted sections are left', (_name, c) => {
    const before = JSON.stringify(c.communication);
    const out = redactCommunication(c.communication, c.decision);
    expect(JSON.stringify(c.communication)).toBe(before); // the input is not modified
    if (c.expected === null) {
      expect(out).toBeNull();
      return;
    }
    expect(out).not.toBeNull();
    expect(codesOf(out as Communication)).toEqual(c.expected.payload);
    expect((out as Communication).text !== undefined).toBe(c.expected.keepsText);
    expect(() => validateResource(out as Communication)).not.toThrow();
  });

  test.each(cases)('%s: the fixture Communication is valid R4', (_name, c) => {
    expect(() => validateResource(c.communication)).not.toThrow();
  });
});

describe('building the disclosure request for what is sent', () => {
  const [, first] = cases[0] as [string, RedactionCase];
  const recipient = { reference: 'Practitioner/npi-1234567893' };

  test('a Communication asks for the codes of its tagged sections, to disclose for treatment', () => {
    const req = buildDisclosureRequest(first.communication, recipient);
    expect(req).toEqual({
      patient: { reference: 'Patient/kap-000123' },
      actor: recipient,
      action: 'disclose',
      purpose: 'TREAT',
      class: 'Communication',
      codes: ['session-focus', 'observations', 'integration-suggestions'].map((code) => ({
        system: 'https://kap-bridge.example/fhir/CodeSystem/kap-share',
        code,
      })),
      securityLabels: first.communication.meta?.security,
      dataDate: '2026-11-20',
    });
  });

  test('a ServiceRequest asks for referral-status only', () => {
    const req = buildDisclosureRequest(
      {
        resourceType: 'ServiceRequest',
        status: 'active',
        intent: 'order',
        subject: { reference: 'Patient/kap-000123' },
        authoredOn: '2026-11-02T16:20:00-08:00',
      },
      recipient,
      '2026-11-03T09:00:00-08:00',
    );
    expect(req.codes?.map((c) => c.code)).toEqual(['referral-status']);
    expect(req.class).toBe('ServiceRequest');
    expect(req.at).toBe('2026-11-03T09:00:00-08:00');
  });

  test('a Consent asks for every share code, since it goes out when any is shared', () => {
    const req = buildDisclosureRequest(
      {
        resourceType: 'Consent',
        status: 'active',
        scope: { text: 'privacy' },
        category: [{ text: 'x' }],
        patient: { reference: 'Patient/kap-000123' },
      },
      recipient,
    );
    expect(req.codes?.map((c) => c.code)).toEqual([
      'referral-status',
      'session-focus',
      'observations',
      'integration-suggestions',
    ]);
    expect(req.patient).toEqual({ reference: 'Patient/kap-000123' });
  });
});
