import { sortedIndexOf } from './sorted-index.js';

/**
 * Index of the bin holding x for open-ended, left-closed bins
 * (-inf, c1), [c1, c2), …, [ck, +inf): the number of cuts <= x (numpy searchsorted 'right').
 * Values outside the baseline range land in the end bins; they are never dropped.
 */
export function binIndex(cuts: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cuts[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Proportions of a count vector; all zeros when the total is zero. */
export function toProportions(counts: ArrayLike<number>): Float64Array {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i] as number;
  const out = new Float64Array(counts.length);
  if (total === 0) return out;
  for (let i = 0; i < counts.length; i++) out[i] = (counts[i] as number) / total;
  return out;
}

/**
 * Adds every value of `values` to `counts` (cuts.length + 1 bins, see binIndex). Values must
 * be non-missing: NaN would land in bin 0, so callers filter it first.
 */
export function countIntoBins(
  cuts: Float64Array,
  values: ArrayLike<number>,
  counts: Float64Array,
): void {
  sortedIndexOf(cuts).countAll(values, counts);
}
