'use strict';
// The chaos run's oracle (scripts/chaos.js): what the destination holds, read by FHIR search,
// against what consent permitted and what the practice recorded as delivered.
/* global fetch */
const path = require('node:path');
const { SECTIONS, marker } = require('./records');

const dist = (p) => require(path.join(__dirname, '../../dist', p));
const { CODE_SYSTEM, EXTENSION, IDENTIFIER_SYSTEM } = dist('fhir/canonical');
const { resourceId } = dist('mapping');

/** The practice's own resource id for a business id, per resource type. */
const LOCAL_ID = {
  ServiceRequest: resourceId.serviceRequest,
  Consent: resourceId.consent,
  Communication: resourceId.communication,
};

// ---------------------------------------------------------------------------------------------
// The oracle: what the destination holds against what consent permitted.

async function searchAll(sandbox, type) {
  const out = [];
  let url = `${sandbox.url}/${type}?_count=500`;
  while (url) {
    const res = await fetch(url, { headers: { Authorization: `Bearer ${sandbox.token}` } });
    if (!res.ok) throw new Error(`chaos: search ${type} answered ${res.status}`);
    const bundle = await res.json();
    for (const e of bundle.entry ?? []) out.push(e.resource);
    url = (bundle.link ?? []).find((l) => l.relation === 'next')?.url;
  }
  return out;
}

function byIdentifier(resources, system) {
  const map = new Map();
  for (const r of resources)
    for (const id of r.identifier ?? [])
      if (id.system === system) map.set(id.value, [...(map.get(id.value) ?? []), r]);
  return map;
}

function sectionsOf(communication) {
  return (communication.payload ?? []).flatMap((p) =>
    (p.extension ?? [])
      .filter((e) => e.url === EXTENSION.shareCode && e.valueCoding?.system === CODE_SYSTEM.share)
      .map((e) => e.valueCoding.code),
  );
}

/**
 * Counts and findings. `item` judges one resource against its expectation and against the
 * practice's own record of what it delivered (the outbox rows behind its disclosure log).
 */
function createTally(rows, leaseMs) {
  const t = { items: 0, delivered: 0, lost: 0, duplicated: 0, leaked: 0, stale: 0, raced: 0, unrecorded: 0 };
  const findings = [];
  const add = (kind, text) => {
    t[kind] += 1;
    findings.push(`${kind}: ${text}`);
  };
  const recorded = new Set(
    rows.filter((r) => r.state === 'delivered').map((r) => `${r.resourceType}/${r.resourceId}`),
  );
  return {
    t,
    findings,
    add,
    /** `racy`: may have left before a revocation, so at most once is all that is required. */
    item(what, expected, found, racy = false) {
      t.items += 1;
      const [type, businessId] = what.split(' ');
      const isRecorded = recorded.has(`${type}/${LOCAL_ID[type](businessId)}`);
      if (found === 0 && isRecorded)
        return add('lost', `${what} (recorded as delivered, not on the destination)`);
      // On the destination, but not in the practice's record of disclosures (e.g. the destination
      // committed, the answer was lost, and a revocation withheld the retry).
      if (found > 0 && !isRecorded)
        add('unrecorded', `${what} is on the destination, no outbox row says delivered`);
      if (found > 1) return add('duplicated', `${what} (${found} copies)`);
      if (racy) t.raced += 1;
      else if (expected && found === 0) return add('lost', what);
      else if (!expected && found > 0) return add('leaked', what);
      if (found === 1) t.delivered += 1;
    },
    /**
     * A raced item may have left before the revocation, or while it was being recorded; one that
     * reached the destination more than a lease after it was a push the revocation should have
     * stopped (a worker that outlived its lease).
     */
    lateAfterRevocation(c, what, copies) {
      for (const copy of copies) {
        const at = Date.parse(copy.meta?.lastUpdated ?? '');
        if (at > c.revokedAtMs + leaseMs)
          add('leaked', `${what} reached the destination ${at - c.revokedAtMs} ms after the revocation`);
      }
    },
  };
}

/** The referral, the consent and, for a client who shared nothing, the Patient. */
function checkClient(tally, c, dest) {
  // A running worker may take the ServiceRequest between the consent and its revocation (a
  // disclosure made before the revocation is allowed), so it is at most once, like the items of a
  // client revoked later.
  const racy =
    c.revokedLate || (c.consentKind === 'revoked' && c.sharedBeforeRevocation.includes('referral-status'));
  const srCopies = dest.srs.get(c.referral.id) ?? [];
  tally.item(`ServiceRequest ${c.referral.id}`, c.shared.includes('referral-status'), srCopies.length, racy);
  if (racy) tally.lateAfterRevocation(c, `ServiceRequest ${c.referral.id}`, srCopies);
  if (c.consent) {
    const copies = dest.cons.get(c.consent.id) ?? [];
    tally.item(
      `Consent ${c.consent.id}`,
      c.consentKind !== 'deny' && c.consentKind !== 'none',
      copies.length,
    );
    // The destination's copy must be the latest version: inactive once revoked (DESIGN.md §2).
    const want = c.consentKind === 'revoked' || c.revokedLate ? 'inactive' : 'active';
    if (copies.length === 1 && copies[0].status !== want)
      tally.add('stale', `Consent ${c.consent.id} is ${copies[0].status} on the destination, not ${want}`);
  }
  if ((c.consentKind === 'deny' || c.consentKind === 'none') && (dest.pats.get(c.mrn) ?? []).length > 0)
    tally.add('leaked', `Patient ${c.mrn} (no consent to share anything)`);
}

/** One update: on the destination once if a present section is permitted, with only those. */
function checkUpdate(tally, c, u, dest) {
  const permitted = SECTIONS.filter((s) => c.shared.includes(s) && u.markers[s].length > 0);
  const copies = dest.comms.get(u.id) ?? [];
  tally.item(`Communication ${u.id}`, permitted.length > 0, copies.length, u.raced);
  if (u.raced) tally.lateAfterRevocation(c, `Communication ${u.id}`, copies);
  const allowed = u.raced ? c.sharedBeforeRevocation : c.shared;
  for (const s of SECTIONS.filter((x) => !allowed.includes(x)))
    for (const m of u.markers[s])
      if (dest.everything.includes(marker(m))) tally.add('leaked', `section ${s} of ${u.id}`);
  for (const copy of copies) {
    const extra = sectionsOf(copy).filter((s) => !allowed.includes(s));
    if (extra.length > 0) tally.add('leaked', `${u.id} carries ${extra.join(', ')}`);
    const missing = u.raced ? [] : permitted.filter((s) => !sectionsOf(copy).includes(s));
    if (missing.length > 0) tally.add('lost', `${u.id} lacks permitted ${missing.join(', ')}`);
  }
}

/**
 * Compares the destination (`sandbox`: its url and bearer token) with the clients' expectations and the outbox `rows`;
 * `leaseMs` bounds how long after a revocation a push already under way may still land.
 */
async function compare(sandbox, clients, rows, leaseMs) {
  const [communications, requests, consents, patients] = await Promise.all(
    ['Communication', 'ServiceRequest', 'Consent', 'Patient'].map((t) => searchAll(sandbox, t)),
  );
  const dest = {
    comms: byIdentifier(communications, IDENTIFIER_SYSTEM.integrationUpdate),
    srs: byIdentifier(requests, IDENTIFIER_SYSTEM.referral),
    cons: byIdentifier(consents, IDENTIFIER_SYSTEM.consent),
    pats: byIdentifier(patients, IDENTIFIER_SYSTEM.mrn),
    everything: JSON.stringify([communications, requests, consents]),
  };
  const tally = createTally(rows, leaseMs);
  for (const c of clients) {
    checkClient(tally, c, dest);
    for (const u of c.updates) checkUpdate(tally, c, u, dest);
  }
  return { ...tally.t, findings: tally.findings };
}

module.exports = { compare };
