/** Default ε that replaces an exactly-zero proportion (see README: "PSI rule"). */
export const DEFAULT_PSI_EPSILON = 1e-4;

/**
 * Population Stability Index, Σ (aᵢ − eᵢ)·ln(aᵢ/eᵢ), natural log.
 *
 * `expected` are the baseline proportions, `actual` the window proportions, aligned bin by
 * bin. A proportion that is exactly 0 is replaced by `epsilon` on its side only, without
 * renormalising, so PSI stays finite and the rule is a fixed, stated parameter.
 */
export function psi(
  expected: ArrayLike<number>,
  actual: ArrayLike<number>,
  epsilon: number = DEFAULT_PSI_EPSILON,
): number {
  if (expected.length !== actual.length) {
    throw new RangeError(
      `psi: expected and actual must have the same number of bins (${expected.length} vs ${actual.length})`,
    );
  }
  if (!(epsilon > 0)) throw new RangeError(`psi: epsilon must be > 0, got ${epsilon}`);
  let sum = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = (expected[i] as number) || epsilon;
    const a = (actual[i] as number) || epsilon;
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}
