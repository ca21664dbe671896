import type { Coding, Consent, ConsentProvision } from '@medplum/fhirtypes';
import { CODE_SYSTEM } from '../fhir/canonical';
import { failsData, failsRequest, type ProvisionType } from './conditions';
import type { RequestContext } from './context';
import { conceptsInclude } from './match';

/** The provision that decides for one code (or for the whole request when it names none). */
export interface Verdict {
  type: ProvisionType;
  /** FHIRPath-like location, e.g. `provision.provision[1]`, or `policyRule OPTIN`. */
  path: string;
  depth: number;
  /** Set when the root provision does not cover the data at all (then `type` is deny). */
  uncovered?: string;
}

/**
 * The base of a consent. R4 puts it in `policyRule` and leaves the root provision untyped; PCF,
 * LEAP and most systems type the root (DESIGN.md §5): a typed root wins, else OPTIN → permit and
 * anything else — OPTOUT, another policy, or no policyRule at all — → deny.
 */
export function baseOf(consent: Consent): { type: ProvisionType; path: string } {
  const rootType = consent.provision?.type;
  if (rootType === 'permit' || rootType === 'deny') return { type: rootType, path: 'provision' };
  const optIn = { system: CODE_SYSTEM.v3ActCode, code: 'OPTIN' };
  if (consent.policyRule && conceptsInclude([consent.policyRule], optIn)) {
    return { type: 'permit', path: 'policyRule OPTIN' };
  }
  const rule = consent.policyRule?.coding?.[0]?.code ?? consent.policyRule?.text;
  return { type: 'deny', path: rule ? `policyRule ${rule}` : 'no policyRule' };
}

/**
 * Walks the provision tree for one code. Nested provisions are exceptions to their parent
 * (R4 Consent §"provision": "exceptions to the base policy"), so a child is only looked at when
 * its parent matched, and the deepest matching provision decides; between equally deep matches
 * a deny wins (nothing leaves when the consent contradicts itself).
 */
export function decideCode(consent: Consent, code: Coding | undefined, ctx: RequestContext): Verdict {
  const base = baseOf(consent);
  const root = consent.provision;
  if (!root) return { ...base, depth: 0 };
  const uncovered = failsData(root, ctx, base.type) ?? (codeFails(root, code) ? 'code' : undefined);
  if (uncovered) return { type: 'deny', path: 'provision', depth: 0, uncovered };
  return deepest(root, 'provision', 0, base.type, code, ctx, base.path);
}

function deepest(
  node: ConsentProvision,
  path: string,
  depth: number,
  type: ProvisionType,
  code: Coding | undefined,
  ctx: RequestContext,
  ownPath: string,
): Verdict {
  let best: Verdict = { type, path: ownPath, depth };
  const children = node.provision ?? [];
  for (let i = 0; i < children.length; i++) {
    const child = children[i] as ConsentProvision;
    // R4 requires a type on nested provisions; an untyped one groups further exceptions and
    // keeps its parent's effect.
    const childType = child.type === 'permit' || child.type === 'deny' ? child.type : type;
    if (codeFails(child, code) || failsRequest(child, ctx, childType)) continue;
    const childPath = `${path}.provision[${i}]`;
    const v = deepest(child, childPath, depth + 1, childType, code, ctx, childPath);
    if (v.depth > best.depth || (v.depth === best.depth && v.type === 'deny')) best = v;
  }
  return best;
}

/**
 * A provision with `code` applies only to those codes; one without applies to all. A request
 * naming no codes is decided by provisions that apply to everything.
 */
function codeFails(p: ConsentProvision, code: Coding | undefined): boolean {
  if (!p.code?.length) return false;
  return code === undefined || !conceptsInclude(p.code, code);
}
