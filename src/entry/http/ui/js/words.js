// Plain words for what the API says in codes: the people reading the dashboard are clinicians
// and office staff, not integrators.

/** The outbox states (DESIGN.md §6) as the dashboard names them, in the order they are shown. */
export const STATES = [
  ['awaiting-consent', 'Awaiting consent'],
  ['queued', 'Queued'],
  ['in-flight', 'Being sent'],
  ['delivered', 'Delivered'],
  ['withheld', 'Withheld'],
  ['retry-wait', 'Will retry'],
  ['dead', 'Failed'],
  ['cancelled', 'Cancelled'],
];

export function stateName(state) {
  return STATES.find(([s]) => s === state)?.[1] ?? state;
}

/** Why an item is where it is, in one sentence. */
export function stateReason(item) {
  switch (item.state) {
    case 'awaiting-consent':
      return 'Not sent: no consent to share with this clinician is on file yet.';
    case 'queued':
      return 'Waiting to be sent; kap-bridge checks consent again just before sending.';
    case 'in-flight':
      return 'Being sent right now.';
    case 'delivered':
      return 'Reached the clinician’s system.';
    case 'withheld':
      return 'Not sent: the client’s consent does not allow it (refused, revoked or limited).';
    case 'retry-wait':
      return 'The clinician’s system did not take it yet; kap-bridge will try again.';
    case 'dead':
      return 'kap-bridge gave up: the clinician’s system refused it.';
    case 'cancelled':
      return 'Replaced by a newer version, or cancelled by staff.';
    default:
      return '';
  }
}

/** What each share code lets the clinician receive (DESIGN.md §2, the kap-share code system). */
export const SHARE_WORDS = {
  'referral-status': 'whether the referral was taken on, and its status',
  'session-focus': 'the overall focus of each session',
  observations: 'observations of emotional, cognitive and sensory experience',
  'integration-suggestions': 'suggestions for integration work',
};

export function shareWords(codes) {
  return codes.map((c) => SHARE_WORDS[c] ?? c);
}

/** A consent's standing (src/app/dashboard/consent-standing.ts) in a sentence. */
export function standingWords(consent) {
  switch (consent.standing) {
    case 'in-force':
      return 'In force';
    case 'refused':
      return 'The client said no: nothing is shared';
    case 'revoked':
      return `Revoked${consent.revokedAt ? ` on ${when(consent.revokedAt)}` : ''}`;
    case 'superseded':
      return 'Superseded by a later decision of the client';
    case 'not-yet-valid':
      return `Not in force yet (from ${consent.validFrom})`;
    case 'expired':
      return `Expired (valid until ${consent.validUntil})`;
    default:
      return consent.standing;
  }
}

/** What a destination's HTTP status means, for someone who does not speak HTTP. */
export function answerWords(httpStatus) {
  if (httpStatus === null || httpStatus === undefined)
    return 'kap-bridge could not reach the clinician’s system, or stopped the item itself before sending.';
  if (httpStatus === 400 || httpStatus === 422)
    return `The clinician’s system refused it: it did not pass their checks (HTTP ${httpStatus}).`;
  if (httpStatus === 401) return 'The clinician’s system did not accept kap-bridge’s credentials (HTTP 401).';
  if (httpStatus === 403) return 'The clinician’s system says kap-bridge may not send this (HTTP 403).';
  if (httpStatus === 404 || httpStatus === 410)
    return `The clinician’s system does not know where this should go (HTTP ${httpStatus}).`;
  if (httpStatus === 409 || httpStatus === 412)
    return `The clinician’s system holds a conflicting record (HTTP ${httpStatus}).`;
  if (httpStatus === 408 || httpStatus === 429 || httpStatus >= 500)
    return `The clinician’s system was busy or unavailable (HTTP ${httpStatus}).`;
  return `The clinician’s system answered HTTP ${httpStatus}.`;
}

/** What kind of item a row carries. */
export function itemWords(item) {
  if (item.resourceType === 'Communication')
    return item.sessionDate
      ? `Integration update, session ${sessionDateWords(item.sessionDate)}${item.sessionNumber ? ` (no. ${item.sessionNumber})` : ''}`
      : 'Integration update';
  if (item.resourceType === 'Consent') return 'Consent (tells the clinician what they will receive)';
  if (item.resourceType === 'ServiceRequest') return 'Referral status';
  if (item.resourceType === 'Task') return 'Referral status (task)';
  return item.resourceType ?? 'Item';
}

/** "Tue 24 Nov 2026": a session date with its weekday (the date is a calendar day, no zone). */
export function sessionDateWords(date) {
  const d = new Date(`${date}T12:00:00Z`);
  if (Number.isNaN(d.getTime())) return date;
  return d.toLocaleDateString('en-GB', {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

/** "3 h 05 min 12 s" for a duration in milliseconds (absolute value). */
export function durationWords(ms) {
  const total = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n) => String(n).padStart(2, '0');
  return d > 0 ? `${d} d ${h} h ${pad(m)} min ${pad(s)} s` : `${h} h ${pad(m)} min ${pad(s)} s`;
}

let practiceZone; // the practice's IANA zone, from GET /session (DESIGN.md §6 windows close in it)

/** Times are shown in the practice's zone, where integration windows close. */
export function setPracticeZone(zone) {
  practiceZone = zone;
}

/** The calendar day (`YYYY-MM-DD`) of an instant in the practice's zone. */
export function practiceDay(msOrIso) {
  const date = new Date(msOrIso);
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone: practiceZone }).format(date);
  } catch {
    return new Intl.DateTimeFormat('en-CA').format(date); // an unknown zone: the reader's own
  }
}

/** "Tue, Dec 1, 2026, 11:59 PM PST": a timestamp in the practice's zone, the zone named. */
export function when(iso) {
  if (!iso) return '—';
  const options = {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  };
  try {
    return new Date(iso).toLocaleString(undefined, { ...options, timeZone: practiceZone });
  } catch {
    return new Date(iso).toLocaleString(undefined, options); // an unknown zone: the reader's own
  }
}
