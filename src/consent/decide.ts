import type { Coding, Consent } from '@medplum/fhirtypes';
import { type Candidate, findGoverning, selectCandidates } from './candidates';
import { buildContext, type RequestContext } from './context';
import { describeCoding, describeParty } from './match';
import { decideCode, type Verdict } from './provisions';
import { DEFAULT_TIME_ZONE, type DecideOptions, type Decision, type DisclosureRequest } from './types';

/**
 * Decides whether the data described by `request` may be disclosed, from the patient's Consents
 * (DESIGN.md §5; R4 Consent semantics, so PCF, BSeR, Gravity and LEAP-style consents count too).
 * Pure: the time of disclosure is `request.at`, else `now`; the zone that date-only values are
 * read in comes from `options`. The practice is opt-in: with no applicable consent nothing is
 * disclosed (`no-consent`).
 */
export function decideDisclosure(
  consents: Consent[],
  request: DisclosureRequest,
  now: Date,
  options: DecideOptions = {},
): Decision {
  const ctx = buildContext(request, now, options.timeZone ?? DEFAULT_TIME_ZONE);
  const explanation: string[] = [];
  const codes = request.codes ?? [];
  const governing = findGoverning(selectCandidates(consents, ctx, explanation), ctx, explanation);
  if (!governing) {
    explanation.push(
      `no consent of ${describeParty(ctx.patient)} applies: nothing may be disclosed (opt-in policy)`,
    );
    return { decision: 'no-consent', consent: null, permitted: [], denied: [...codes], explanation };
  }
  explanation.push(`${governing.cite} governs (the newest consent that applies to this request)`);
  if (governing.consent.status === 'inactive') {
    explanation.push(`${governing.cite} is inactive (revoked or superseded): nothing may be disclosed`);
    return { decision: 'deny', consent: governing.reference, permitted: [], denied: [...codes], explanation };
  }
  return splitCodes(governing, codes, ctx, explanation);
}

function splitCodes(
  governing: Candidate,
  codes: Coding[],
  ctx: RequestContext,
  explanation: string[],
): Decision {
  const permitted: Coding[] = [];
  const denied: Coding[] = [];
  if (codes.length === 0) {
    const v = decideCode(governing.consent, undefined, ctx);
    explanation.push(describeVerdict(governing, v, 'the whole request', ctx));
    return { decision: v.type, consent: governing.reference, permitted, denied, explanation };
  }
  for (const code of codes) {
    const v = decideCode(governing.consent, code, ctx);
    (v.type === 'permit' ? permitted : denied).push(code);
    explanation.push(describeVerdict(governing, v, `code ${describeCoding(code)}`, ctx));
  }
  const decision = permitted.length > 0 ? 'permit' : 'deny';
  return { decision, consent: governing.reference, permitted, denied, explanation };
}

function describeVerdict(c: Candidate, v: Verdict, what: string, ctx: RequestContext): string {
  const actor = describeParty(ctx.actor);
  if (v.uncovered) {
    return `${c.cite}: provision does not cover ${what} (its ${v.uncovered} does not match), so it is denied for actor ${actor}`;
  }
  const verb = v.type === 'permit' ? 'permits' : 'denies';
  const where = v.depth === 0 ? `${v.path} (the base rule, no exception matched)` : v.path;
  return `${c.cite}: ${where} ${verb} ${what} for actor ${actor}`;
}
