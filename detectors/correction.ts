import { DetectorInputError } from './errors.js';

export type PValueCorrection = 'none' | 'bonferroni' | 'benjamini_hochberg';

/**
 * A window tests every feature at once: uncorrected, 50 no-drift features flag at least one
 * in 85 % of windows at α = 5 %; Benjamini–Hochberg brings that back to α (bench:calibration).
 */
export const DEFAULT_CORRECTION: PValueCorrection = 'benjamini_hochberg';

/**
 * Adjusted p-values for m simultaneous tests (a window's features): Bonferroni
 * min(1, m·p), or Benjamini–Hochberg's step-up q-values min over j >= i of m·p(j)/j, which
 * control the false discovery rate. Compare adjusted values with the unadjusted α.
 */
export function adjustPValues(pValues: ArrayLike<number>, method: PValueCorrection): Float64Array {
  const m = pValues.length;
  const out = Float64Array.from(pValues);
  for (let i = 0; i < m; i++) {
    const p = out[i] as number;
    if (!(p >= 0 && p <= 1)) {
      throw new DetectorInputError(
        'adjustPValues',
        `pValues[${i}] is ${p}; p-values lie in [0, 1]`,
      );
    }
  }
  if (method === 'none' || m === 0) return out;
  if (method === 'bonferroni') {
    for (let i = 0; i < m; i++) out[i] = Math.min(1, (out[i] as number) * m);
    return out;
  }
  const order = Array.from({ length: m }, (_, i) => i).sort(
    (a, b) => (pValues[a] as number) - (pValues[b] as number),
  );
  let running = 1;
  for (let rank = m; rank >= 1; rank--) {
    const i = order[rank - 1] as number;
    running = Math.min(running, (pValues[i] as number) * (m / rank)); // as scipy rounds
    out[i] = running;
  }
  return out;
}
