import type { Coding, ConsentProvision, Period } from '@medplum/fhirtypes';
import type { Condition } from './conditions';
import type { RequestContext } from './context';
import { describeCoding, describeParty, sameParty } from './match';
import type { Base, Unmatched, Verdict } from './provisions';

/**
 * The sentences of a decision's explanation (DESIGN.md §5: "an explanation trace a person can
 * read"): which consent governed or why none applied, the base answer and where it came from,
 * which provision decided each code and, for a deny, why. Written for a practice manager: short,
 * plain, naming consents by id and version and provisions by their place in the Consent.
 */
export interface Trace {
  lines: string[];
  /** Set when a date without a time was read, so the zone rule is stated once at the end. */
  dateOnly: boolean;
}

/** Plain names of the provision elements a request is matched on. */
const ELEMENT_NAME: Record<Condition, string> = {
  period: 'period',
  actor: 'recipient',
  purpose: 'purpose',
  action: 'action',
  class: 'resource type',
  code: 'section',
  securityLabel: 'security label',
  dataPeriod: 'data period',
  data: 'data',
};
const MATCHED_ELEMENTS: Condition[] = [
  'actor',
  'action',
  'purpose',
  'class',
  'code',
  'securityLabel',
  'dataPeriod',
  'period',
];

/** `Consent/x v1 is ignored: …` for a consent that cannot govern at all. */
export function ignoredLine(cite: string, reason: string): string {
  return `${cite} is ignored: ${reason}.`;
}

/** Why a consent's root provision does not apply to the request. */
export function notApplyingLine(
  trace: Trace,
  cite: string,
  root: ConsentProvision,
  failed: Condition,
  ctx: RequestContext,
): string {
  return `${cite} does not apply: ${mismatch(trace, root, failed, undefined, ctx)}.`;
}

/** The governing consent, with the period that made it apply (the zone rule matters there). */
export function governsLine(
  trace: Trace,
  cite: string,
  root: ConsentProvision | undefined,
  ctx: RequestContext,
): string {
  const period = root?.period
    ? ` Its period (${periodText(trace, root.period)}) covers the time of disclosure (${ctx.atText}).`
    : '';
  return `${cite} governs: it is the newest consent that applies to this request.${period}`;
}

/** The base answer and where it came from (a typed root wins over policyRule, DESIGN.md §5). */
export function baseLine(cite: string, base: Base, hasRoot: boolean): string {
  const answer = base.type;
  if (base.source === 'root') {
    const overridden =
      base.rule && base.ruleType !== base.type ? `; a typed root wins over its policyRule ${base.rule}` : '';
    return `The base rule of ${cite} is ${answer}, set by the type of its root provision${overridden}.`;
  }
  if (base.source === 'policyRule') {
    const why = base.type === 'permit' ? '' : ' (only OPTIN permits)';
    const untyped = hasRoot ? 'its root provision has no type' : 'it has no provision';
    return `The base rule of ${cite} is ${answer}, set by its policyRule ${base.rule ?? ''}${why}, as ${untyped}.`;
  }
  const untyped = hasRoot ? 'its root provision has no type' : 'it has no provision';
  return `The base rule of ${cite} is deny: ${untyped} and it has no policyRule.`;
}

/** One sentence for the codes that share a verdict. */
export function verdictLine(
  trace: Trace,
  what: string,
  v: Verdict,
  root: ConsentProvision | undefined,
  code: Coding | undefined,
  ctx: RequestContext,
): string {
  const verb = v.type === 'permit' ? 'permitted' : 'denied';
  if (v.uncovered) {
    return `${what}: denied, being outside the root provision: ${mismatch(trace, root, v.uncovered, code, ctx)}.`;
  }
  const by =
    v.depth > 0
      ? `by the exception ${v.path} (${v.type}), which matches on ${matchedOn(trace, v.provision)}`
      : root?.provision?.length
        ? 'by the base rule, as no exception matches'
        : 'by the base rule (the consent has no exceptions)';
  const overruled = v.overruled.length
    ? `; ${v.overruled.join(', ')} would permit it, but a deny wins between exceptions at the same level`
    : '';
  return `${what}: ${verb} ${by}${overruled}.${unmatchedText(trace, v.unmatched, code, ctx)}`;
}

/** No applicable consent: the practice's policy is opt-in (DESIGN.md §5). */
export function noConsentLine(ctx: RequestContext): string {
  return `No consent of ${describeParty(ctx.patient)} applies, so nothing may be disclosed (the practice is opt-in).`;
}

/** DESIGN.md §5: a date without a time is the whole day in the practice's zone. */
export function zoneLine(ctx: RequestContext): string {
  return `Dates without a time are read as whole days in the practice's time zone, ${ctx.zone}.`;
}

function unmatchedText(
  trace: Trace,
  unmatched: Unmatched[],
  code: Coding | undefined,
  ctx: RequestContext,
): string {
  return unmatched
    .map(
      (u) =>
        ` The exception ${u.path} (${u.provision.type ?? 'untyped'}) does not match: ${mismatch(trace, u.provision, u.condition, code, ctx)}.`,
    )
    .join('');
}

/** The elements a matching exception names; dates and labels spelled out, as they are the why. */
function matchedOn(trace: Trace, p: ConsentProvision | undefined): string {
  if (!p) return 'everything';
  const named = MATCHED_ELEMENTS.flatMap((e): string[] => {
    if (e === 'period' || e === 'dataPeriod') {
      const period = p[e];
      return period ? [`${ELEMENT_NAME[e]} (${periodText(trace, period)})`] : [];
    }
    if (e === 'securityLabel' && p.securityLabel?.length) {
      return [`${ELEMENT_NAME[e]} (${p.securityLabel.map(describeCoding).join(', ')})`];
    }
    return p[e]?.length ? [ELEMENT_NAME[e]] : [];
  });
  return named.length ? named.join(', ') : 'everything (it has no conditions)';
}

/** Why `p` fails on `condition`, in plain words. `root` words it for the root provision. */
function mismatch(
  trace: Trace,
  p: ConsentProvision | undefined,
  condition: Condition,
  code: Coding | undefined,
  ctx: RequestContext,
): string {
  switch (condition) {
    case 'period':
      return `its period (${periodText(trace, p?.period)}) does not cover the time of disclosure (${ctx.atText})`;
    case 'actor':
      return actorMismatch(p, ctx);
    case 'purpose':
      return ctx.purpose
        ? `its purpose (${concepts(p?.purpose?.map((c) => ({ coding: [c] })))}) is not the request's (${describeCoding(ctx.purpose)})`
        : `it is limited to a purpose (${concepts(p?.purpose?.map((c) => ({ coding: [c] })))}) and the request states none`;
    case 'action':
      return ctx.action
        ? `its action (${concepts(p?.action)}) is not the request's (${describeCoding(ctx.action)})`
        : `it is limited to an action (${concepts(p?.action)}) and the request states none`;
    case 'class':
      return ctx.resourceType
        ? `it covers other kinds of data (${p?.class?.map(describeCoding).join(', ') ?? ''}), not ${ctx.resourceType}`
        : `it is limited to kinds of data (${p?.class?.map(describeCoding).join(', ') ?? ''}) and the request names none`;
    case 'code':
      return code
        ? `it covers other sections (${concepts(p?.code)})`
        : `it covers only some sections (${concepts(p?.code)}) and the request names none`;
    case 'securityLabel':
      return `it is limited to data labelled ${p?.securityLabel?.map(describeCoding).join(' or ') ?? ''}, and the data carries no such label`;
    case 'dataPeriod':
      return ctx.dataText
        ? `its data period (${periodText(trace, p?.dataPeriod)}) does not cover the data's date (${dateText(trace, ctx.dataText)})`
        : `it is limited to data dated ${periodText(trace, p?.dataPeriod)} and the request gives no data date`;
    case 'data':
      return 'it names specific resources, which a disclosure request cannot match';
  }
}

function actorMismatch(p: ConsentProvision | undefined, ctx: RequestContext): string {
  const actors = p?.actor ?? [];
  const same = actors.find((a) => sameParty(a.reference, ctx.actor));
  if (same) {
    const roles = same.role?.coding?.map(describeCoding).join(', ') ?? '';
    return `it names this recipient in the role ${roles}, and the request's role (${describeCoding(ctx.role)}) is not covered by it`;
  }
  return `it names another recipient (${actors.map((a) => describeParty(a.reference)).join(', ')}), not ${describeParty(ctx.actor)}`;
}

function concepts(list: Array<{ coding?: Coding[]; text?: string }> | undefined): string {
  return (list ?? []).map((c) => c.coding?.map(describeCoding).join(' / ') ?? c.text ?? '?').join(', ');
}

function periodText(trace: Trace, period: Period | undefined): string {
  const start = period?.start !== undefined ? dateText(trace, period.start) : undefined;
  const end = period?.end !== undefined ? dateText(trace, period.end) : undefined;
  if (start && end) return `${start} to ${end}`;
  if (start) return `from ${start}`;
  return end ? `until ${end}` : 'open';
}

/** A FHIR date as written; a value without a time flags the zone rule for the closing line. */
function dateText(trace: Trace, value: string): string {
  if (!value.includes('T')) trace.dateOnly = true;
  return value;
}
