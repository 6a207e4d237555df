import { checkedTotal, checkSameLength } from './distribution.js';
import { DetectorInputError } from './errors.js';

/** Default ε that replaces an exactly-zero proportion (see README: "PSI rule"). */
export const DEFAULT_PSI_EPSILON = 1e-4;

/**
 * Population Stability Index, Σ (cᵢ − rᵢ)·ln(cᵢ/rᵢ), natural log, over the same bins.
 *
 * `reference` and `current` are counts or proportions, each normalised to sum 1. A proportion
 * that is exactly 0 is replaced by `epsilon` on its side only, without renormalising, so PSI
 * stays finite and the rule is a fixed, stated parameter (statistics note §3.4).
 */
export function psi(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
  opts: { epsilon?: number } = {},
): number {
  const epsilon = opts.epsilon ?? DEFAULT_PSI_EPSILON;
  if (!(epsilon > 0 && epsilon < 1)) {
    throw new DetectorInputError('psi', `epsilon must be in (0, 1), got ${epsilon}`);
  }
  checkSameLength('psi', reference, current);
  const rTotal = checkedTotal('psi', 'reference', reference);
  const cTotal = checkedTotal('psi', 'current', current);
  let sum = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = (reference[i] as number) / rTotal || epsilon;
    const c = (current[i] as number) / cTotal || epsilon;
    sum += (c - r) * Math.log(c / r);
  }
  return sum;
}
