import type { Coding, Consent } from '@medplum/fhirtypes';
import { type Candidate, findApplicable, selectCandidates } from './candidates';
import { buildContext, type RequestContext } from './context';
import { baseLine, governsLine, noConsentLine, type Trace, verdictLine, zoneLine } from './explain';
import { describeCoding } from './match';
import { baseOf, decideCode, type Verdict } from './provisions';
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
  const codes = request.codes ?? [];
  // The decision is taken without its sentences; they are written when `explanation` is first
  // read, by taking the same pure decision again with a trace. Ingest and the relay decide for
  // every item and never read them (issue 12: writing them was most of a decision's time).
  const decision: Omit<Decision, 'explanation'> = decideWithTrace(consents, codes, ctx, undefined);
  let lines: string[] | undefined;
  const explain = (): string[] => {
    const trace: Trace = { lines: [], dateOnly: false };
    decideWithTrace(consents, codes, ctx, trace);
    if (trace.dateOnly) trace.lines.push(zoneLine(ctx));
    return trace.lines;
  };
  return Object.defineProperty({ ...decision } as Decision, 'explanation', {
    enumerable: true,
    get: () => (lines ??= explain()),
  });
}

function decideWithTrace(
  consents: Consent[],
  codes: Coding[],
  ctx: RequestContext,
  trace: Trace | undefined,
): Omit<Decision, 'explanation'> {
  const [governing, ...older] = findApplicable(selectCandidates(consents, ctx, trace), ctx, trace);
  if (!governing) {
    trace?.lines.push(noConsentLine(ctx));
    return { decision: 'no-consent', consent: null, permitted: [], denied: [...codes] };
  }
  if (trace) trace.lines.push(governsLine(trace, governing.cite, governing.consent.provision, ctx));
  for (const c of older)
    trace?.lines.push(`${c.cite} also applies but is not the newest, so it does not count.`);
  if (governing.consent.status === 'inactive') {
    trace?.lines.push(`${governing.cite} is inactive (revoked or superseded), so nothing may be disclosed.`);
    return { decision: 'deny', consent: governing.reference, permitted: [], denied: [...codes] };
  }
  trace?.lines.push(baseLine(governing.cite, baseOf(governing.consent), !!governing.consent.provision));
  return splitCodes(governing, codes, ctx, trace);
}

function splitCodes(
  governing: Candidate,
  codes: Coding[],
  ctx: RequestContext,
  trace: Trace | undefined,
): Omit<Decision, 'explanation'> {
  const root = governing.consent.provision;
  if (codes.length === 0) {
    const v = decideCode(governing.consent, undefined, ctx);
    if (trace)
      trace.lines.push(verdictLine(trace, 'The whole request (no sections named)', v, root, undefined, ctx));
    return { decision: v.type, consent: governing.reference, permitted: [], denied: [] };
  }
  const permitted: Coding[] = [];
  const denied: Coding[] = [];
  // Codes that share a verdict share a sentence, so a long request still reads as a few lines.
  const groups = new Map<string, { codes: Coding[]; verdict: Verdict }>();
  for (const code of codes) {
    const v = decideCode(governing.consent, code, ctx);
    (v.type === 'permit' ? permitted : denied).push(code);
    if (!trace) continue;
    const key = verdictKey(v);
    const group = groups.get(key);
    if (group) group.codes.push(code);
    else groups.set(key, { codes: [code], verdict: v });
  }
  for (const { codes: same, verdict } of groups.values()) {
    const what = same.map(describeCoding).join(', ');
    trace?.lines.push(verdictLine(trace, what, verdict, root, same[0], ctx));
  }
  const decision = permitted.length > 0 ? 'permit' : 'deny';
  return { decision, consent: governing.reference, permitted, denied };
}

/**
 * Verdicts that read the same share a key. Built from the fields the sentence is made of, not by
 * serialising the verdict: that walked the deciding provision's whole subtree on every call.
 */
function verdictKey(v: Verdict): string {
  const unmatched = v.unmatched.map((u) => `${u.path}:${u.condition}`).join(',');
  return `${v.type}|${v.path}|${v.depth}|${v.uncovered ?? ''}|${unmatched}|${v.overruled.join(',')}`;
}
