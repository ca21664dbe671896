import type { Coding, Consent, ConsentProvision } from '@medplum/fhirtypes';
import { CODE_SYSTEM } from '../fhir/canonical';
import { type Condition, failsData, failsRequest, type ProvisionType } from './conditions';
import type { RequestContext } from './context';
import { conceptsInclude } from './match';

/** Where a consent's base answer comes from (DESIGN.md §5): a typed root, policyRule, or neither. */
export interface Base {
  type: ProvisionType;
  /** FHIRPath-like location, e.g. `provision`, or `policyRule OPTIN`. */
  path: string;
  source: 'root' | 'policyRule' | 'none';
  /** The policyRule code (or text), when the consent has one. */
  rule?: string;
  /** What the policyRule alone would make the base (OPTIN → permit, else deny). */
  ruleType?: ProvisionType;
}

/** An exception that was looked at and did not match, with the element it failed on. */
export interface Unmatched {
  path: string;
  provision: ConsentProvision;
  condition: Condition;
}

/** The provision that decides for one code (or for the whole request when it names none). */
export interface Verdict {
  type: ProvisionType;
  /** FHIRPath-like location, e.g. `provision.provision[1]`, or `policyRule OPTIN`. */
  path: string;
  depth: number;
  /** The deciding nested provision (depth > 0). */
  provision?: ConsentProvision;
  /** Set when the root provision does not cover the data at all (then `type` is deny). */
  uncovered?: Condition;
  /** The deciding provision's own exceptions that did not match. */
  unmatched: Unmatched[];
  /** Equally deep matches of the other type that the deny overruled. */
  overruled: string[];
}

/**
 * The base of a consent. R4 puts it in `policyRule` and leaves the root provision untyped; PCF,
 * LEAP and most systems type the root (DESIGN.md §5): a typed root wins, else OPTIN → permit and
 * anything else — OPTOUT, another policy, or no policyRule at all — → deny.
 */
export function baseOf(consent: Consent): Base {
  const optIn = { system: CODE_SYSTEM.v3ActCode, code: 'OPTIN' };
  const isOptIn = !!consent.policyRule && conceptsInclude([consent.policyRule], optIn);
  const rule = isOptIn ? 'OPTIN' : (consent.policyRule?.coding?.[0]?.code ?? consent.policyRule?.text);
  const ruleType: ProvisionType = isOptIn ? 'permit' : 'deny';
  const rootType = consent.provision?.type;
  if (rootType === 'permit' || rootType === 'deny') {
    return { type: rootType, path: 'provision', source: 'root', rule, ruleType: rule ? ruleType : undefined };
  }
  if (rule) return { type: ruleType, path: `policyRule ${rule}`, source: 'policyRule', rule, ruleType };
  return { type: 'deny', path: 'no policyRule', source: 'none' };
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
  if (!root) return { type: base.type, path: base.path, depth: 0, unmatched: [], overruled: [] };
  const uncovered = failsData(root, ctx, base.type) ?? (codeFails(root, code) ? 'code' : undefined);
  if (uncovered)
    return { type: 'deny', path: 'provision', depth: 0, uncovered, unmatched: [], overruled: [] };
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
  const own: Verdict = { type, path: ownPath, depth, unmatched: [], overruled: [] };
  if (depth > 0) own.provision = node;
  let best = own;
  const children = node.provision ?? [];
  for (let i = 0; i < children.length; i++) {
    const child = children[i] as ConsentProvision;
    const childPath = `${path}.provision[${i}]`;
    // R4 requires a type on nested provisions; an untyped one groups further exceptions and
    // keeps its parent's effect.
    const childType = child.type === 'permit' || child.type === 'deny' ? child.type : type;
    const failed = codeFails(child, code) ? 'code' : failsRequest(child, ctx, childType);
    if (failed) {
      own.unmatched.push({ path: childPath, provision: child, condition: failed });
      continue;
    }
    const v = deepest(child, childPath, depth + 1, childType, code, ctx, childPath);
    if (v.depth > best.depth) best = v;
    else if (v.depth === best.depth && v.type !== best.type) {
      if (v.type === 'deny') {
        v.overruled.push(best.path);
        best = v;
      } else best.overruled.push(v.path);
    }
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
