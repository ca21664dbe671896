import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Consent } from '@medplum/fhirtypes';
import { decideDisclosure, type DisclosureRequest } from '../../src/consent';
import { CONFORMANCE_DIR } from '../validator/conformance-paths';

// Sanity check over the official R4 Consent examples (third-party material, taken as found):
// each must yield a decision with an explanation, never a crash. The examples are vendored, so a
// missing folder fails the suite instead of skipping it.
const dir = path.join(CONFORMANCE_DIR, 'r4-examples');
const files = readdirSync(dir).filter((f) => /^Consent-.*\.json$/.test(f));
const examples: Array<[string, Consent]> = files.map((f) => [
  f,
  JSON.parse(readFileSync(path.join(dir, f), 'utf8')),
]);

function requestFor(c: Consent): DisclosureRequest {
  const firstActor = c.provision?.actor?.[0];
  return {
    patient: c.patient ?? {},
    actor: firstActor?.reference ?? { reference: 'Practitioner/unknown' },
    actorRole: firstActor?.role?.coding?.[0],
    action: 'access',
    codes: [{ system: 'http://loinc.org', code: '34133-9' }],
  };
}

describe('official R4 Consent examples', () => {
  test.each(examples)('%s yields an explained decision without crashing', (_file, consent) => {
    const d = decideDisclosure([consent], requestFor(consent), new Date('2016-01-15T12:00:00Z'));
    expect(['permit', 'deny', 'no-consent']).toContain(d.decision);
    expect(d.permitted.length + d.denied.length).toBe(1);
    expect(d.explanation.length).toBeGreaterThan(0);
    expect(d.consent === null).toBe(d.decision === 'no-consent');
  });

  test('consent-example-notTime (period over in early 2015) does not apply in 2016', () => {
    const found = examples.find(([f]) => f.includes('notTime'));
    if (!found) throw new Error('consent-example-notTime is missing from the vendored examples');
    expect(
      decideDisclosure([found[1]], requestFor(found[1]), new Date('2016-01-15T12:00:00Z')).decision,
    ).toBe('no-consent');
  });
});
