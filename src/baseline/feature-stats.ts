import { Moments, quantileCuts, quantileSorted, sortInPlace } from '../../detectors/index.js';
import { SUMMARY_QUANTILES, TAIL_QUANTILES, type FeatureEntry } from './file-format.js';

/** Numeric columns with at most this many distinct values get per-value bins (as Evidently). */
export const MAX_DISCRETE_VALUES = 20;

/**
 * Cut points for a numeric feature with few distinct values: one bin per training value (cuts
 * half-way between neighbours) plus an empty bin beyond each end, so a value never seen in
 * training falls in the nearest value's bin, or, far outside the range, in an empty end bin.
 */
function discreteCuts(distinct: readonly number[]): number[] {
  const first = distinct[0] as number;
  const last = distinct[distinct.length - 1] as number;
  let gap = Infinity;
  for (let i = 1; i < distinct.length; i++) {
    gap = Math.min(gap, (distinct[i] as number) - (distinct[i - 1] as number));
  }
  if (gap === Infinity) gap = Math.max(Math.abs(first), 1);
  const cuts: number[] = [];
  const push = (c: number) => {
    // Half-way points can round onto a neighbour (adjacent doubles) or overflow (±1.7e308):
    // keep only finite, strictly ascending cuts, so every file we write is one we can load.
    if (Number.isFinite(c) && (cuts.length === 0 || c > (cuts[cuts.length - 1] as number)))
      cuts.push(c);
  };
  push(first - gap / 2);
  for (let i = 1; i < distinct.length; i++) {
    const a = distinct[i - 1] as number;
    const b = distinct[i] as number;
    const mid = a + (b - a) / 2;
    push(mid > a ? mid : b);
  }
  push(last + gap / 2);
  if (cuts.length === 0) cuts.push(first);
  return cuts;
}

/**
 * All training values when they fit, else `size` quantiles at the mid-points (i + ½)/size:
 * each stands for 1/size of the training mass, so the sample's ECDF is within 1/size of the
 * training ECDF everywhere, and KS against it is deterministic (no random subsample).
 */
function referenceSample(sorted: Float64Array, size: number) {
  if (sorted.length <= size) {
    return { method: 'all' as const, size: sorted.length, values: [...sorted] };
  }
  const values = Array.from({ length: size }, (_, i) => quantileSorted(sorted, (i + 0.5) / size));
  return { method: 'quantiles' as const, size, values };
}

/**
 * Bin counts of ascending values, the bins as countIntoBins's (a value equal to a cut goes
 * above it): bin k holds the values from the first one not below cut k to the first one not
 * below cut k + 1, so a binary search per cut does what a search per value would.
 */
function countSorted(cuts: Float64Array, sorted: Float64Array): Float64Array {
  const counts = new Float64Array(cuts.length + 1);
  let previous = 0;
  for (let k = 0; k < cuts.length; k++) {
    const cut = cuts[k] as number;
    let lo = previous;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((sorted[mid] as number) < cut) lo = mid + 1;
      else hi = mid;
    }
    counts[k] = lo - previous;
    previous = lo;
  }
  counts[cuts.length] = sorted.length - previous;
  return counts;
}

export interface NumericOptions {
  bins: number;
  sampleSize: number;
}

/**
 * Everything a baseline keeps of a numeric column. `values`, its non-missing numbers, are
 * sorted in place (with `scratch` for the sort, when given: see sortInPlace).
 */
export function numericFeature(
  values: Float64Array,
  missing: number,
  opts: NumericOptions,
  scratch?: Uint32Array,
): FeatureEntry {
  const sorted = sortInPlace(values, scratch);
  const distinct: number[] = [];
  for (const x of sorted) {
    if (distinct.length > MAX_DISCRETE_VALUES) break;
    if (distinct[distinct.length - 1] !== x) distinct.push(x);
  }
  const cuts = Float64Array.from(
    distinct.length > MAX_DISCRETE_VALUES
      ? quantileCuts(sorted, opts.bins)
      : discreteCuts(distinct),
  );
  const counts = countSorted(cuts, sorted);
  // Squares of values beyond ~1e154 overflow: take the moments of x / scale instead.
  const extreme = Math.max(
    Math.abs(sorted[0] as number),
    Math.abs(sorted[sorted.length - 1] as number),
  );
  const scale = extreme > 1e150 ? extreme : 1;
  const moments = new Moments();
  // Indexed, not for-of: V8 runs this loop over a million values several times faster.
  for (let i = 0; i < sorted.length; i++) moments.add((sorted[i] as number) / scale);
  const std = Math.sqrt(moments.m2 / moments.n) * scale;
  return {
    kind: 'numeric',
    count: sorted.length,
    missing,
    summary: {
      mean: moments.mean * scale,
      std,
      min: sorted[0] as number,
      max: sorted[sorted.length - 1] as number,
    },
    quantiles: [TAIL_QUANTILES[0], ...SUMMARY_QUANTILES, TAIL_QUANTILES[1]].map((q) => ({
      q,
      value: quantileSorted(sorted, q),
    })),
    cuts: [...cuts],
    proportions: [...counts].map((c) => c / sorted.length),
    sample: referenceSample(sorted, opts.sampleSize),
  };
}

/** The top-K categories by count (ties by name) and the rest pooled as `other`. */
export function categoricalFeature(
  all: ReadonlyMap<string, number>,
  missing: number,
  topK: number,
): FeatureEntry {
  const ranked = [...all].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let count = 0;
  let other = 0;
  ranked.forEach(([, n], i) => {
    count += n;
    if (i >= topK) other += n;
  });
  // fromEntries: a category named "__proto__" stays an ordinary key.
  const counts = Object.fromEntries(ranked.slice(0, topK));
  return { kind: 'categorical', count, missing, distinct: all.size, counts, other };
}
