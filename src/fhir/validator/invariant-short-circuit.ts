import { ImpliesAtom as MedplumImplies, OrAtom as MedplumOr } from '@medplum/core';
import type { Atom, FhirPathAtom, TypedValue } from '@medplum/core';
import { presenceOperand } from './presence-operand';

/**
 * Most invariants start with a test of their subject: `orderDetail.empty() or code.exists()`
 * (prr-1), `patient.exists() or scope.coding.where(…)…` (ppc-2..5), `data.exists() implies …`.
 * When that first operand already decides an `or` (true) or an `implies` (false), the invariant
 * holds whatever the rest says, and evaluating the rest (often a `where` over codings) was most of
 * the FHIRPath time of validating the resources ingest maps (issue 12).
 *
 * Only "holds" is ever decided here. Each operand is evaluated by `@medplum/core` itself, in the
 * context its `FhirPathAtom` gives it, in left-to-right order; any operand that is not a single
 * boolean or empty (which the full evaluation would refuse as an error) or that throws sends the
 * invariant back to the full evaluation, so a failure, and its message, stays as it was. What
 * changes: an operand after the deciding one is not evaluated, so it cannot raise an evaluation
 * error — the short-circuit of `or` and `implies` the HL7 validator's FHIRPath engine also makes.
 */

// Bound once: `@medplum/core`'s CommonJS exports are getters, and these are read for every invariant.
const OrAtom = MedplumOr;
const ImpliesAtom = MedplumImplies;

/** True when the invariant certainly holds on `value`; false means "evaluate it in full". */
export function holdsByShortCircuit(
  root: FhirPathAtom,
  value: TypedValue,
  variables: Record<string, TypedValue>,
): boolean {
  const top = root.child;
  if (!(top instanceof OrAtom) && !(top instanceof ImpliesAtom)) return false;
  // The context FhirPathAtom.eval gives its child for one input value.
  const context = { parent: { variables }, variables: { $this: value } };
  const input = [value];
  const truth = (atom: Atom): boolean | null | undefined => {
    try {
      return presenceOperand(atom, value) ?? booleanOf(atom.eval(context, input));
    } catch {
      return undefined;
    }
  };
  return decides(top, truth) === 'true';
}

/** What an operand evaluated to: a boolean, null (empty), or undefined (anything else or an error). */
type Truth = (atom: Atom) => boolean | null | undefined;

/**
 * `true`: the atom certainly evaluates to true. `open`: every operand looked at evaluated cleanly
 * but did not decide it. `bail`: an operand would make the full evaluation report an error.
 */
type Decision = 'true' | 'open' | 'bail';

function decides(atom: Atom, truth: Truth): Decision {
  if (atom instanceof OrAtom) {
    const left = decides(atom.left, truth);
    return left === 'open' ? decides(atom.right, truth) : left;
  }
  if (atom instanceof ImpliesAtom) {
    const left = truth(atom.left);
    if (left === undefined) return 'bail';
    return left === false ? 'true' : decides(atom.right, truth);
  }
  const result = truth(atom);
  return result === undefined ? 'bail' : result === true ? 'true' : 'open';
}

function booleanOf(result: TypedValue[]): boolean | null | undefined {
  if (result.length === 0) return null;
  const only = result[0];
  if (result.length !== 1 || only?.type !== 'boolean') return undefined;
  return only.value === true;
}
