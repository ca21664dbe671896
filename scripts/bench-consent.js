#!/usr/bin/env node
/**
 * Consent decision latency: p50 / p99 of decideDisclosure for a patient with 10 consents
 * (target p99 ≤ 50 µs, issue 4). Run after `npm run build`: node scripts/bench-consent.js
 */
const { decideDisclosure } = require('../dist/consent');

const SHARE = 'https://kap-bridge.example/fhir/CodeSystem/kap-share';
const PT = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';
const NPI = 'http://hl7.org/fhir/sid/us-npi';
const code = (c) => ({ system: SHARE, code: c });
const UPDATE = ['session-focus', 'observations', 'integration-suggestions'];

function consent(i) {
  const npi = String(1234567000 + i);
  return {
    resourceType: 'Consent',
    id: `con-${i % 7}`, // some ids repeat: several versions of the same consent
    meta: { versionId: String(1 + Math.floor(i / 7)), lastUpdated: `2026-11-0${1 + (i % 9)}T10:00:00Z` },
    status: i % 5 === 4 ? 'inactive' : 'active',
    scope: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }],
    },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
    patient: { reference: 'Patient/kap-000123' },
    dateTime: `2026-11-0${1 + (i % 9)}T10:12:00-08:00`,
    policy: [{ uri: 'https://kap-bridge.example/fhir/policy/information-sharing' }],
    provision: {
      type: 'deny',
      period: { start: '2026-11-01', end: '2027-05-05' },
      provision: [
        {
          type: 'permit',
          actor: [
            {
              role: { coding: [{ system: PT, code: 'IRCP' }] },
              reference: { reference: `Practitioner/npi-${npi}`, identifier: { system: NPI, value: npi } },
            },
          ],
          action: [
            { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentaction', code: 'disclose' }] },
          ],
          purpose: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'TREAT' }],
          code: ['referral-status', ...UPDATE].map((c) => ({ coding: [code(c)] })),
          provision: [
            {
              type: 'deny',
              code: [{ coding: [code('observations')] }],
              dataPeriod: { start: '2026-11-10', end: '2026-11-12' },
            },
          ],
        },
      ],
    },
  };
}

const consents = Array.from({ length: 10 }, (_, i) => consent(i));
const request = {
  patient: { reference: 'Patient/kap-000123' },
  actor: { identifier: { system: NPI, value: '1234567008' } },
  action: 'disclose',
  purpose: 'TREAT',
  class: 'Communication',
  codes: UPDATE.map(code),
  dataDate: '2026-11-11',
};
const now = new Date('2026-11-20T12:00:00-08:00');

function run(n) {
  const samples = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    decideDisclosure(consents, request, now);
    samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  return samples.sort();
}

run(20_000); // warm-up (JIT, date-boundary cache)
const s = run(100_000);
const pct = (p) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))].toFixed(1);
const d = decideDisclosure(consents, request, now);
console.log(`consent decision, 10 consents, ${request.codes.length} codes: ${d.decision} via ${d.consent}`);
console.log(
  `p50 ${pct(50)} µs  p90 ${pct(90)} µs  p99 ${pct(99)} µs  max ${s[s.length - 1].toFixed(1)} µs (n=${s.length})`,
);
