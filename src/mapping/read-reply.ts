import type { OperationOutcome, OperationOutcomeIssue, Reference } from '@medplum/fhirtypes';
import { looksLikeMarkup } from '../domain/free-text';
import { issue, outcome } from '../fhir/outcomes';
import { ID_PATTERN } from '../fhir/id-pattern';
import { isJsonObject } from '../fhir/json-object';

/**
 * A referring clinician's reply (DESIGN.md §6b): a `Communication` whose `inResponseTo` (the R4
 * element DESIGN.md calls "inReplyTo"; Reference(Communication)) or `partOf` (Reference(Any))
 * points at what the practice sent them — an integration update (Communication), the referral
 * (ServiceRequest) or its status Task — by literal reference or by business identifier. Read
 * before anything else looks at it, and bounded like every other inbound field (DESIGN.md §8:
 * every length checked before any pattern reads the text; text that looks like markup refused).
 * Only plain-text payloads are taken: a reply is a message, not a document exchange. Pure.
 */

/** Bounds of a reply: a few short messages, not a record transfer. */
export const REPLY_LIMITS = {
  /** `payload` entries. */
  payloads: 10,
  /** Characters of one `payload.contentString`. */
  text: 4000,
  /** `inResponseTo` + `partOf` references. */
  targets: 10,
  /** Characters of a reference, an identifier system or a display. */
  reference: 512,
  identifierValue: 128,
  display: 200,
} as const;

/** The types a reply can answer: what the practice sends to the clinician. */
export type RepliedType = 'Communication' | 'ServiceRequest' | 'Task';
const REPLIED: readonly RepliedType[] = ['Communication', 'ServiceRequest', 'Task'];

/** Something a reply says it answers: a literal `Type/id` (on whichever server it was written) or an identifier. */
export type ReplyTarget =
  | { kind: 'literal'; type: RepliedType; id: string }
  | { kind: 'identifier'; type?: string; system: string; value: string };

export interface ReadReply {
  targets: ReplyTarget[];
  /** The payload texts, one paragraph each. */
  text: string;
  /** Who sent it, as the reply names them (display, identifier value or reference). */
  from?: string;
  /** The reply's own business identifier, when it has one (idempotent receipt). */
  identifier?: { system: string; value: string };
}

// `Type/id`, optionally absolute (`https://…/Type/id`) and versioned (`/_history/v`). Bounded
// before it runs (REPLY_LIMITS.reference); the alternation reads the tail only once.
const LITERAL = new RegExp(
  `(?:^|/)(Communication|ServiceRequest|Task)/(${ID_PATTERN})(?:/_history/${ID_PATTERN})?$`,
);

/** Reads `resource` as a reply, or refuses it naming each element at fault. */
export function readReply(
  resource: unknown,
): { ok: true; value: ReadReply } | { ok: false; outcome: OperationOutcome } {
  if (!isJsonObject(resource) || resource.resourceType !== 'Communication') {
    return refuse([
      issue({ code: 'invalid', expression: 'resourceType', text: 'A reply is a Communication.' }),
    ]);
  }
  const issues: OperationOutcomeIssue[] = [];
  const text = readPayloads(resource.payload, issues);
  const targets = [
    ...readTargets(resource.inResponseTo, 'Communication.inResponseTo', issues),
    ...readTargets(resource.partOf, 'Communication.partOf', issues),
  ];
  if (targets.length > REPLY_LIMITS.targets) {
    issues.push(tooMany('Communication.inResponseTo', REPLY_LIMITS.targets, 'references'));
  }
  const from = readSender(resource.sender, issues);
  const identifier = ownIdentifier(resource.identifier);
  if (issues.length > 0) return refuse(issues);
  return {
    ok: true,
    value: { targets, text, ...(from ? { from } : {}), ...(identifier ? { identifier } : {}) },
  };
}

function refuse(issues: OperationOutcomeIssue[]): { ok: false; outcome: OperationOutcome } {
  return { ok: false, outcome: outcome(issues) };
}

function tooMany(expression: string, max: number, what: string): OperationOutcomeIssue {
  return issue({ code: 'too-long', expression, text: `A reply carries at most ${max} ${what}.` });
}

function readPayloads(raw: unknown, issues: OperationOutcomeIssue[]): string {
  const payloads = Array.isArray(raw) ? raw : [];
  if (payloads.length === 0) {
    issues.push(
      issue({
        code: 'required',
        expression: 'Communication.payload',
        text: 'A reply needs its text in payload.contentString.',
      }),
    );
    return '';
  }
  if (payloads.length > REPLY_LIMITS.payloads) {
    issues.push(tooMany('Communication.payload', REPLY_LIMITS.payloads, 'payloads'));
    return '';
  }
  const texts: string[] = [];
  payloads.forEach((p: unknown, i) => {
    const at = `Communication.payload[${i}]`;
    const content = isJsonObject(p) ? p.contentString : undefined;
    if (typeof content !== 'string') {
      const text =
        'Only plain-text replies are taken: send the message as payload.contentString (no attachments or references).';
      issues.push(issue({ code: 'not-supported', expression: at, text }));
      return;
    }
    const problem = plainTextProblem(content, REPLY_LIMITS.text);
    if (problem) issues.push(issue({ code: 'value', expression: `${at}.contentString`, text: problem }));
    else texts.push(content);
  });
  return texts.join('\n\n');
}

/** Length first, then the markup patterns (DESIGN.md §8). */
function plainTextProblem(text: string, max: number): string | undefined {
  if (text.length > max) return `The text is longer than ${max} characters.`;
  if (text.trim() === '') return 'The text is empty.';
  if (looksLikeMarkup(text)) return 'The text looks like HTML or script; send plain text.';
  return undefined;
}

function readTargets(raw: unknown, at: string, issues: OperationOutcomeIssue[]): ReplyTarget[] {
  if (raw === undefined) return [];
  const refs = Array.isArray(raw) ? raw : [];
  if (refs.length > REPLY_LIMITS.targets) {
    issues.push(tooMany(at, REPLY_LIMITS.targets, 'references'));
    return [];
  }
  const out: ReplyTarget[] = [];
  refs.forEach((r: unknown, i) => {
    const target = readTarget(isJsonObject(r) ? (r as Reference) : {}, `${at}[${i}]`, issues);
    if (target) out.push(target);
  });
  return out;
}

function readTarget(ref: Reference, at: string, issues: OperationOutcomeIssue[]): ReplyTarget | undefined {
  const literal = ref.reference;
  if (typeof literal === 'string') {
    if (literal.length > REPLY_LIMITS.reference) {
      issues.push(
        issue({ code: 'value', expression: `${at}.reference`, text: 'The reference is too long.' }),
      );
      return undefined;
    }
    const m = LITERAL.exec(literal);
    if (m?.[1] && m[2]) return { kind: 'literal', type: m[1] as RepliedType, id: m[2] };
  }
  const id = ref.identifier;
  if (!id || typeof id.system !== 'string' || typeof id.value !== 'string') return undefined;
  if (id.system.length > REPLY_LIMITS.reference || id.value.length > REPLY_LIMITS.identifierValue) {
    issues.push(
      issue({ code: 'value', expression: `${at}.identifier`, text: 'The identifier is too long.' }),
    );
    return undefined;
  }
  const type =
    typeof ref.type === 'string' && REPLIED.includes(ref.type as RepliedType) ? ref.type : undefined;
  return { kind: 'identifier', ...(type ? { type } : {}), system: id.system, value: id.value };
}

function readSender(raw: unknown, issues: OperationOutcomeIssue[]): string | undefined {
  if (!isJsonObject(raw)) return undefined;
  const sender = raw as Reference;
  const named = sender.display ?? sender.identifier?.value ?? sender.reference;
  if (typeof named !== 'string') return undefined;
  const problem = plainTextProblem(named, REPLY_LIMITS.display);
  if (problem) {
    issues.push(issue({ code: 'value', expression: 'Communication.sender', text: problem }));
    return undefined;
  }
  return named;
}

function ownIdentifier(raw: unknown): { system: string; value: string } | undefined {
  if (!Array.isArray(raw)) return undefined;
  for (const i of raw as unknown[]) {
    if (!isJsonObject(i)) continue;
    const { system, value } = i;
    if (typeof system !== 'string' || typeof value !== 'string') continue;
    if (system.length <= REPLY_LIMITS.reference && value.length <= REPLY_LIMITS.identifierValue) {
      return { system, value };
    }
  }
  return undefined;
}
