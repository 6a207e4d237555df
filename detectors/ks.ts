import { DetectorInputError } from './errors.js';
import {
  exactFeasible,
  exactPCertainlyNegligible,
  exactTwoSided,
  insideMethodWork,
  roundHalfEven,
  roundToLattice,
} from './ks-exact.js';
import { sortedCopy } from './sort.js';
import { kolmogorovSf } from './special/kolmogorov.js';

export type KsMethod = 'auto' | 'exact' | 'asymp';

export interface KsResult {
  statistic: number;
  pValue: number;
  /** The method actually used (scipy falls back from exact to asymp when it must). */
  method: 'exact' | 'asymp';
}

/** scipy's `auto` runs exact iff max(n1, n2) <= this. */
export const KS_MAX_AUTO_N = 10_000;

function checkedSortedCopy(name: string, x: ArrayLike<number>): Float64Array {
  if (x.length === 0) throw new DetectorInputError('ksTwoSample', `sample ${name} is empty`);
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(x[i])) {
      throw new DetectorInputError(
        'ksTwoSample',
        `sample ${name}[${i}] is NaN; drop missing values before testing`,
      );
    }
  }
  return sortedCopy(x);
}

/**
 * max |F1 − F2| over the pooled values for two ascending samples, each ECDF counted with "≤"
 * (ties need no special handling) and the difference formed as c1/n1 − c2/n2 in double, as
 * scipy does, so D is bit-identical to ks_2samp's. One merge pass.
 */
export function ksStatisticSorted(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let max = 0;
  let min = 0;
  while (i < n1 || j < n2) {
    const x = Math.min(i < n1 ? (a[i] as number) : Infinity, j < n2 ? (b[j] as number) : Infinity);
    // +Infinity in the data: everything left is at x, so both ECDFs reach 1.
    if (x === Infinity) break;
    if (Number.isNaN(x)) {
      throw new DetectorInputError(
        'ksStatisticSorted',
        'samples contain NaN; drop missing values first',
      );
    }
    while (i < n1 && (a[i] as number) <= x) i++;
    while (j < n2 && (b[j] as number) <= x) j++;
    const d = i / n1 - j / n2;
    if (d > max) max = d;
    else if (d < min) min = d;
  }
  const minS = Math.min(-min, 1);
  return minS > max ? minS : max;
}

export interface KsPValueOptions {
  /**
   * With method `auto`: most inside-method steps an exact p-value may take (unequal sizes;
   * see insideMethodWork); beyond it the asymptotic p-value is used and `method` says so.
   * Unlimited by default, as scipy; `exact` is never limited. The daemon bounds it so a
   * strongly drifted window cannot stall it for seconds.
   */
  maxExactWork?: number;
}

/**
 * Two-sided p-value for a KS statistic between samples of n1 and n2 values, choosing the
 * method as scipy.stats.ks_2samp does. Exact mode reports D rounded to the lattice 1/lcm.
 * asymp is kstwo.sf(D, round_half_even(n1·n2/(n1+n2))), the finite-n Kolmogorov law, not
 * the limiting one; an effective n of 0 (1 vs 1) has no distribution: p = 1 (scipy: NaN).
 */
export function ksPValue(
  d: number,
  n1: number,
  n2: number,
  method: KsMethod = 'auto',
  opts: KsPValueOptions = {},
): KsResult {
  let mode: 'exact' | 'asymp';
  if (method === 'auto') mode = Math.max(n1, n2) <= KS_MAX_AUTO_N ? 'exact' : 'asymp';
  else if (method === 'exact') mode = exactFeasible(n1, n2) ? 'exact' : 'asymp';
  else mode = 'asymp';
  if (mode === 'exact' && n1 !== n2) {
    const negligible = exactPCertainlyNegligible(d, n1, n2);
    if (negligible) return { statistic: roundToLattice(d, n1, n2), pValue: 0, method: 'exact' };
    const budget = method === 'auto' ? (opts.maxExactWork ?? Infinity) : Infinity;
    if (insideMethodWork(d, n1, n2) > budget) mode = 'asymp';
  }
  if (mode === 'exact') {
    const exact = exactTwoSided(d, n1, n2);
    if (exact.p >= 0 && exact.p <= 1) {
      return { statistic: exact.d, pValue: exact.p, method: 'exact' };
    }
    d = exact.d;
  }
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const effectiveN = roundHalfEven((m * n) / (m + n));
  const p = effectiveN === 0 ? 1 : kolmogorovSf(effectiveN, d);
  return { statistic: d, pValue: Math.min(1, Math.max(0, p)), method: 'asymp' };
}

/** Two-sample Kolmogorov–Smirnov, two-sided, matching scipy.stats.ks_2samp. */
export function ksTwoSample(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  opts: { method?: KsMethod } = {},
): KsResult {
  const method = opts.method ?? 'auto';
  if (method !== 'auto' && method !== 'exact' && method !== 'asymp') {
    throw new DetectorInputError('ksTwoSample', `unknown method ${String(method)}`);
  }
  const sa = checkedSortedCopy('a', a);
  const sb = checkedSortedCopy('b', b);
  return ksPValue(ksStatisticSorted(sa, sb), sa.length, sb.length, method);
}
