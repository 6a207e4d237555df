import { describe, expect, it } from 'vitest';
import { ksPValue } from '../../detectors/index.js';
import {
  exactPCertainlyNegligible,
  gcd,
  insideMethodWork,
  outsideInsideMethodProbability,
  roundHalfEven,
} from '../../detectors/ks-exact.js';

describe('KS exact p-value guards', () => {
  it('claims "below 1e-300" only where the exact recursion agrees', () => {
    let claimed = 0;
    for (const [m, n] of [
      [3_000, 2_000],
      [5_000, 4_000],
      [10_000, 1_000],
      [50, 3_000],
    ] as const) {
      for (let d = 0.05; d <= 1; d += 0.05) {
        if (!exactPCertainlyNegligible(d, m, n)) continue;
        claimed++;
        const g = gcd(m, n);
        const h = roundHalfEven(d * (m / g) * n);
        expect(outsideInsideMethodProbability(m, n, g, h)).toBeLessThan(1e-300);
        expect(ksPValue(d, m, n)).toMatchObject({ pValue: 0, method: 'exact' });
      }
    }
    expect(claimed).toBeGreaterThan(5);
  });

  it('switches to the asymptotic p-value beyond the work budget and says so', () => {
    const d = 0.1;
    expect(insideMethodWork(d, 10_000, 5_000)).toBeGreaterThan(1e6);
    const bounded = ksPValue(d, 10_000, 5_000, 'auto', { maxExactWork: 1e6 });
    expect(bounded).toEqual(ksPValue(d, 10_000, 5_000, 'asymp'));
    expect(bounded.method).toBe('asymp');
    expect(ksPValue(d, 10_000, 5_000, 'auto').method).toBe('exact');
    // Equal sizes take the O(n) reflection sum: never limited.
    expect(ksPValue(d, 5_000, 5_000, 'auto', { maxExactWork: 1 }).method).toBe('exact');
  });
});
