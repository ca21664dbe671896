import type { CodeableConcept, Coding, Identifier, Reference } from '@medplum/fhirtypes';
import { CODE_SYSTEM } from '../fhir/canonical';

/**
 * Small matching rules shared by candidate selection and provision evaluation. Everything here
 * is strict on purpose: a Coding matches only on system AND code, so a look-alike code from
 * another system never widens or narrows what a client consented to.
 */

/** Same system and same code. */
export function sameCoding(a: Coding | undefined, b: Coding | undefined): boolean {
  return !!a && !!b && a.code !== undefined && a.code === b.code && a.system === b.system;
}

/** True when any coding of `concepts` equals `wanted`. */
export function conceptsInclude(concepts: CodeableConcept[] | undefined, wanted: Coding): boolean {
  for (const c of concepts ?? []) {
    for (const coding of c.coding ?? []) if (sameCoding(coding, wanted)) return true;
  }
  return false;
}

/** True when any of `codings` equals any of `wanted`. */
export function codingsIntersect(codings: Coding[] | undefined, wanted: Coding[] | undefined): boolean {
  for (const c of codings ?? []) for (const w of wanted ?? []) if (sameCoding(c, w)) return true;
  return false;
}

/**
 * A bare request code (DESIGN.md §8) stands for a Coding of the system the contract names for
 * that element (consentaction for `action`, v3-ActReason for `purpose`).
 */
export function toCoding(value: string | Coding | undefined, system: string): Coding | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? { system, code: value } : value;
}

/** `Type/id` of a reference, without `_history`, keeping absolute URLs whole. */
function normalizeReference(ref: string): string {
  const noHistory = ref.replace(/\/_history\/[^/]+$/, '');
  return noHistory;
}

/** `Type/id` tail of a (possibly absolute) literal reference. */
function tail(ref: string): string {
  const parts = ref.split('/');
  return parts.slice(-2).join('/');
}

/**
 * Two literal references name the same resource: equal, or — when one is relative — equal in
 * their `Type/id` tail (an absolute URL on this server's own base and a relative one).
 */
export function sameLiteralReference(a: string, b: string): boolean {
  if (a === b) return true;
  const x = normalizeReference(a);
  const y = normalizeReference(b);
  if (x === y) return true;
  const absolute = (s: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(s);
  if (absolute(x) && absolute(y)) return false;
  return tail(x) === tail(y);
}

/** Same identifier system and value (both present). */
export function sameIdentifier(a: Identifier | undefined, b: Identifier | undefined): boolean {
  return !!a && !!b && !!a.system && !!a.value && a.system === b.system && a.value === b.value;
}

/** Two References name the same party: by literal reference, or by logical identifier. */
export function sameParty(a: Reference | undefined, b: Reference | undefined): boolean {
  if (!a || !b) return false;
  if (a.reference && b.reference && sameLiteralReference(a.reference, b.reference)) return true;
  return sameIdentifier(a.identifier, b.identifier);
}

/**
 * v3-ParticipationType specializations of `IRCP` (information recipient): a provision naming the
 * general role also covers a recipient acting in one of its child roles
 * (https://terminology.hl7.org/CodeSystem-v3-ParticipationType.html, IRCP hierarchy).
 */
const IRCP_CHILDREN = new Set(['IRCP', 'NOT', 'PRCP', 'REFB', 'REFT', 'TRC']);

/** The provision's role covers the request's role: equal, or a child of IRCP under IRCP. */
export function roleCovers(provisionRole: CodeableConcept | undefined, requestRole: Coding): boolean {
  const codings = provisionRole?.coding ?? [];
  if (codings.length === 0) return true;
  for (const c of codings) {
    if (sameCoding(c, requestRole)) return true;
    if (
      c.system === CODE_SYSTEM.v3ParticipationType &&
      c.code === 'IRCP' &&
      requestRole.system === CODE_SYSTEM.v3ParticipationType &&
      IRCP_CHILDREN.has(requestRole.code ?? '')
    ) {
      return true;
    }
  }
  return false;
}

/** A readable name for a party: its reference, else `system|value` of its identifier. */
export function describeParty(ref: Reference | undefined): string {
  if (!ref) return '(none)';
  if (ref.reference) return ref.reference;
  if (ref.identifier) return `${ref.identifier.system ?? ''}|${ref.identifier.value ?? ''}`;
  return ref.display ?? '(unnamed)';
}

/** Systems whose codes are shown bare in explanations: ours and the HL7 ones a consent uses. */
const FAMILIAR_SYSTEMS = new Set<string | undefined>([
  CODE_SYSTEM.share,
  CODE_SYSTEM.v3ActReason,
  CODE_SYSTEM.consentAction,
  CODE_SYSTEM.v3ActCode,
  CODE_SYSTEM.v3Confidentiality,
  CODE_SYSTEM.v3ParticipationType,
]);

/**
 * `system|code`, or just the code when the system is a familiar one (readability); a look-alike
 * code of another system keeps its system, so the reader sees why it did not match.
 */
export function describeCoding(c: Coding): string {
  if (FAMILIAR_SYSTEMS.has(c.system)) return c.code ?? '?';
  return c.system ? `${c.system}|${c.code ?? ''}` : (c.code ?? '?');
}
