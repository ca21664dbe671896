#!/usr/bin/env node
/**
 * Consent decision latency: p50 / p99 of decideDisclosure for a patient with 10 consents
 * (target p99 ≤ 50 µs, issue 4); the median p99 of several rounds. Figures: { consentP99Us }.
 */
'use strict';
const { dist, main, median, pick, say } = require('./lib');
const { decideDisclosure } = dist('consent');

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

/** `explained`: the explanation is read too (it is written on first read; ingest and the relay never read it). */
function run(n, explained = false) {
  const samples = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const d = decideDisclosure(consents, request, now);
    if (explained && d.explanation.length === 0) throw new Error('a decision without its explanation');
    samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  return samples.sort();
}

main(async () => {
  run(pick({ full: 20_000, quick: 20_000, tiny: 2_000 })); // warm-up (JIT, date-boundary cache)
  const rounds = pick({ full: 5, quick: 3, tiny: 1 });
  const n = pick({ full: 100_000, quick: 50_000, tiny: 5_000 });
  const p99s = [];
  let last;
  for (let r = 0; r < rounds; r++) {
    last = run(n);
    p99s.push(last[Math.min(last.length - 1, Math.floor(0.99 * last.length))]);
  }
  const pct = (p) => last[Math.min(last.length - 1, Math.floor((p / 100) * last.length))].toFixed(1);
  const d = decideDisclosure(consents, request, now);
  say(`consent decision, 10 consents, ${request.codes.length} codes: ${d.decision} via ${d.consent}`);
  say(
    `last round: p50 ${pct(50)} µs  p99 ${pct(99)} µs  max ${last[last.length - 1].toFixed(1)} µs (n=${n})`,
  );
  const p99 = median(p99s);
  say(`p99, median of ${rounds} rounds: ${p99.toFixed(1)} µs`);
  const withText = run(n, true);
  const at = (p) => withText[Math.min(withText.length - 1, Math.floor(p * withText.length))].toFixed(1);
  say(`with the explanation read as well (one round): p50 ${at(0.5)} µs  p99 ${at(0.99)} µs`);
  return { consentP99Us: Number(p99.toFixed(1)) };
});
