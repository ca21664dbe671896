'use strict';
// The practice records of the chaos run (scripts/chaos.js): one new client per iteration.

const SECTIONS = ['session-focus', 'observations', 'integration-suggestions'];
const CODES = ['referral-status', ...SECTIONS];
const CLINICIANS = ['1234567893', '1458932047', '1670428154'];
const AUTHOR = { npi: '1326044793', name: { given: ['Sam'], family: 'Rivera', suffix: ['PsyD'] } };

// ---------------------------------------------------------------------------------------------
// Records. Dates are in the past (ingest refuses a future signedAt/writtenAt); each section text
// carries a marker, so a withheld section can be looked for on the destination.

function dateOnly(d) {
  return d.toISOString().slice(0, 10);
}

function marker(tag) {
  return `Marker ${tag}.`;
}

function makeClient(rnd, i, now) {
  const n = String(i).padStart(4, '0');
  const npi = rnd.pick(CLINICIANS);
  const consentKind = rnd.pick(['full', 'partial', 'partial', 'deny', 'none', 'revoked']);
  const shared =
    consentKind === 'full'
      ? [...CODES]
      : consentKind === 'partial'
        ? partialShare(rnd)
        : consentKind === 'revoked'
          ? partialShare(rnd)
          : [];
  const mrn = `KAP-9${n.padStart(5, '0')}`;
  const referral = {
    id: `REF-CHAOS-${n}`,
    receivedAt: new Date(now - 3 * 86_400_000).toISOString(),
    source: 'clinician',
    client: {
      mrn,
      name: { given: ['Chaos'], family: `Client${n}` },
      birthDate: '1980-01-01',
      gender: 'unknown',
    },
    referringClinician: {
      npi,
      name: { given: ['Ref'], family: `Clinician${npi.slice(-3)}` },
      role: 'psychotherapist',
      ...(rnd.chance(0.5) ? { referralId: `PL-${n}` } : {}),
    },
    reason: { text: 'Treatment-resistant depression' },
  };
  const consent =
    consentKind === 'none'
      ? undefined
      : {
          id: `CON-CHAOS-${n}`,
          referralId: referral.id,
          clientMrn: mrn,
          recipientNpi: npi,
          decision: consentKind === 'deny' ? 'deny' : 'permit',
          share: consentKind === 'deny' ? [] : shared,
          validFrom: dateOnly(new Date(now - 2 * 86_400_000)),
          signedAt: new Date(now - 2 * 3_600_000).toISOString(),
          signedBy: 'client',
        };
  return {
    n,
    mrn,
    npi,
    consentKind,
    // What the consent permits at the end; a revocation empties it.
    shared: consentKind === 'full' || consentKind === 'partial' ? shared : [],
    sharedBeforeRevocation: consentKind === 'revoked' ? shared : [],
    referral,
    consent,
    updates: [],
    revokedLate: false,
  };
}

function partialShare(rnd) {
  for (;;) {
    const s = CODES.filter(() => rnd.chance(0.5));
    if (s.length > 0 && s.length < CODES.length) return s;
  }
}

function makeUpdate(rnd, client, k, now) {
  const tag = `CHX${client.n}U${k}`;
  const observations = {};
  for (const field of ['emotional', 'cognitive', 'sensory'])
    if (rnd.chance(0.6)) observations[field] = `Calm and present. ${marker(`${tag}-${field}`)}`;
  if (Object.keys(observations).length === 0) observations.sensory = `Warmth. ${marker(`${tag}-sensory`)}`;
  const suggestions = rnd.chance(0.7) ? [`Paced breathing. ${marker(`${tag}-suggestion`)}`] : undefined;
  const record = {
    id: `UPD-CHAOS-${client.n}-${k}`,
    referralId: client.referral.id,
    sessionDate: dateOnly(new Date(now - 86_400_000)),
    sessionNumber: k,
    author: AUTHOR,
    focus: `Safety and agency. ${marker(`${tag}-focus`)}`,
    observations,
    ...(suggestions ? { suggestions } : {}),
    writtenAt: new Date(now - 30 * 60_000).toISOString(),
  };
  const markers = {
    'session-focus': [`${tag}-focus`],
    observations: Object.keys(observations).map((f) => `${tag}-${f}`),
    'integration-suggestions': suggestions ? [`${tag}-suggestion`] : [],
  };
  // `raced`: ingested before a late revocation, so it may or may not have left (at most once).
  return { id: record.id, record, markers, raced: false };
}

module.exports = { SECTIONS, CODES, marker, makeClient, makeUpdate };
