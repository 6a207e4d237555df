import { sortedCopy } from './sort.js';

/**
 * What the detectors need from a training baseline, per feature. Plain data: the baseline
 * store builds these once; every window compares against them.
 */

/** A bounded sample of the training values, ascending, with ties collapsed. */
export interface ReferenceSample {
  /** Distinct values, strictly ascending. */
  values: Float64Array;
  /**
   * cumulative[i] = number of sample values <= values[i]; the last entry is `size`. 32-bit:
   * a fleet holds thousands of samples, and sample sizes are far below 2^32.
   */
  cumulative: Uint32Array;
  /** Sample size. */
  size: number;
  /**
   * Training values the sample stands for, the n_ref of KS: `size` when it holds every value
   * (or a random subsample), the column's count when it is a quantile sketch of a larger
   * column. A sketch's ECDF is within 1/size of the column's everywhere, so KS against it
   * decides as KS against the column; taking its size as n_ref instead would make the test
   * conservative and cost power (README "What the defaults guarantee").
   */
  population: number;
}

export interface NumericReference {
  kind: 'numeric';
  /** Interior cut points of the bins (-inf, c1), [c1, c2), …, [ck, +inf). */
  cuts: Float64Array;
  /** Training count per bin (cuts.length + 1 entries). */
  binCounts: Float64Array;
  /** Non-missing training values. */
  count: number;
  /** Training standard deviation (ddof 0), scales the Wasserstein distance. */
  std: number;
  /** Needed by KS and Wasserstein; baselines without one support only the binned methods. */
  sample: ReferenceSample | undefined;
  /** What training covered, for out-of-range counts; undefined: the file does not say (format 1). */
  range?: TrainingRange | undefined;
}

/**
 * The training values' exact extremes and their 0.1 % / 99.9 % quantiles (numpy linear). The
 * quantiles are NaN when the baseline file predates them: comparisons with NaN are false, so
 * nothing is counted, and the window reports no tail counts.
 */
export interface TrainingRange {
  min: number;
  max: number;
  low: number;
  high: number;
}

export interface CategoricalReference {
  kind: 'categorical';
  categories: readonly string[];
  /** category → position in `categories` / `counts`. */
  index: ReadonlyMap<string, number>;
  /** Training count per category. */
  counts: Float64Array;
  /** All non-missing training values, `other` included. */
  count: number;
  /**
   * Training values of categories beyond the baseline's top K, pooled. A window category not
   * in `categories` may be one of them or new: the two cannot be told apart, so when `other`
   * is positive both are compared as one pooled category.
   */
  other: number;
}

export type FeatureReference = NumericReference | CategoricalReference;

/**
 * Builds a ReferenceSample from values in any order (non-finite values must be removed);
 * `population`: the training count the values stand for (default: their number).
 */
export function toReferenceSample(
  values: ArrayLike<number>,
  population = values.length,
): ReferenceSample {
  const sorted = sortedCopy(values);
  const n = sorted.length;
  let distinct = sorted;
  let cumulative = new Uint32Array(n);
  let u = 0;
  for (let i = 0; i < n; i++) {
    const v = sorted[i] as number;
    if (u > 0 && distinct[u - 1] === v) {
      cumulative[u - 1] = i + 1;
    } else {
      distinct[u] = v;
      cumulative[u++] = i + 1;
    }
  }
  if (u < n) {
    // Ties: keep only what is used (the sorted copy is ours to compact in place).
    distinct = distinct.slice(0, u);
    cumulative = cumulative.slice(0, u);
  }
  return {
    values: distinct,
    cumulative,
    size: n,
    population: Math.max(population, sorted.length),
  };
}
