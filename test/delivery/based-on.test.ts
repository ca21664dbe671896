import fs from 'node:fs';
import path from 'node:path';
import type { Communication, Reference, ServiceRequest } from '@medplum/fhirtypes';
import { parseConsent, parseIntegrationUpdate, parseReferral } from '../../src/domain/parse-records';
import { mapConsent, mapIntegrationUpdate, mapReferral } from '../../src/mapping';
import { basedOnServiceRequestIds, planBasedOn } from '../../src/outbox/based-on';
import { UndeliverableItemError } from '../../src/outbox/thrown-attempt';

/**
 * The one sending-time decision on `basedOn` (DESIGN.md §2), over the fixture records: a stored
 * Communication (always literal) and the consent of the moment.
 */

const RECORDS = path.join(__dirname, '../../fixtures/records');
const read = (file: string, patch: Record<string, unknown> = {}): unknown => ({
  ...(JSON.parse(fs.readFileSync(path.join(RECORDS, file), 'utf8')) as object),
  ...patch,
});
function ok<T>(r: { ok: true; value: T } | { ok: false }): T {
  if (!r.ok) throw new Error('fixture record does not parse');
  return r.value;
}

const cases = [
  {
    situation:
      'referral-status not shared, the referrer gave their own referral id: logical by the placer id',
    referral: 'referral-clinician-full.json',
    consent: read('consent-client-full.json', { share: ['session-focus', 'integration-suggestions'] }),
    update: 'update-all-observations.json',
    basedOn: [
      {
        type: 'ServiceRequest',
        identifier: { system: 'https://ehr.lakeside.example/referrals', value: 'LP-7781' },
      },
    ],
    sendsServiceRequest: false,
  },
  {
    situation: 'referral-status not shared, a self-referral without a placer id: logical by the filler id',
    referral: 'referral-self.json',
    consent: read('consent-partial.json'),
    update: 'update-one-observation.json',
    basedOn: [
      {
        type: 'ServiceRequest',
        identifier: { system: 'https://kap-bridge.example/fhir/sid/referral', value: 'REF-2026-0057' },
      },
    ],
    sendsServiceRequest: false,
  },
  {
    situation: 'referral-status shared: the literal reference stays and the ServiceRequest goes with it',
    referral: 'referral-clinician-full.json',
    consent: read('consent-client-full.json'),
    update: 'update-all-observations.json',
    basedOn: [{ reference: 'ServiceRequest/referral-REF-2026-0042' }],
    sendsServiceRequest: true,
  },
];

function inputFor(c: (typeof cases)[number]) {
  const referral = ok(parseReferral(read(c.referral)));
  const serviceRequest = mapReferral(referral).serviceRequest;
  const communication = mapIntegrationUpdate(
    ok(parseIntegrationUpdate(read(c.update))),
    referral,
  ).communication;
  return {
    communication,
    serviceRequests: new Map<string, ServiceRequest>([[serviceRequest.id ?? '', serviceRequest]]),
    consents: [mapConsent(ok(parseConsent(c.consent)), referral).consent],
    recipientNpi: referral.referringClinician.npi,
    now: new Date('2026-12-01T18:00:00Z'),
    timeZone: 'America/Los_Angeles',
  };
}

describe('basedOn decided when sending', () => {
  test.each(cases)('$situation', (c) => {
    const input = inputFor(c);
    const stored = structuredClone(input.communication);
    const plan = planBasedOn(input);
    expect(plan.communication.basedOn).toEqual(c.basedOn);
    expect(plan.serviceRequests.map((sr) => sr.id)).toEqual(
      c.sendsServiceRequest ? [basedOnServiceRequestIds(stored)[0]] : [],
    );
    // The stored Communication is not changed: the next decision starts from the literal form.
    expect(input.communication).toEqual(stored);
  });

  test('a literal basedOn to a ServiceRequest that is not stored makes the item undeliverable, naming no value', () => {
    const input = { ...inputFor(cases[0]!), serviceRequests: new Map<string, ServiceRequest>() };
    expect(() => planBasedOn(input)).toThrow(UndeliverableItemError);
  });

  test('a Communication already stored with a logical basedOn passes unchanged', () => {
    const input = inputFor(cases[2]!);
    const logical: Communication = { ...input.communication, basedOn: cases[0]!.basedOn as Reference[] };
    const plan = planBasedOn({ ...input, communication: logical });
    expect(plan.communication.basedOn).toEqual(cases[0]!.basedOn);
    expect(plan.serviceRequests).toEqual([]);
  });
});
