import type { KsMethod } from './ks.js';

/** Drift methods for numeric features. */
export const NUMERIC_METHODS = [
  'psi',
  'ks',
  'wasserstein',
  'jensen_shannon',
  'hellinger',
  'chi_square',
] as const;
/** Drift methods for categorical features (no order, so no KS or Wasserstein). */
export const CATEGORICAL_METHODS = ['psi', 'chi_square', 'jensen_shannon', 'hellinger'] as const;

export type DriftMethod = (typeof NUMERIC_METHODS)[number];
export type CategoricalMethod = (typeof CATEGORICAL_METHODS)[number];

/** Where each method flags drift. p-value tests: p <= α; distances: statistic >= threshold. */
export interface DriftThresholds {
  /** PSI at or above which a feature has drifted ("significant shift"). */
  psi: number;
  /** PSI at or above which a feature is flagged as a moderate shift (warning). */
  psiWarning: number;
  /**
   * PSI (and its warning) flags only when sampling alone gives a PSI this large with at most
   * this probability at the window's n and bins (the chi-square test of PSI's pooled bins);
   * 1 turns the check off.
   */
  psiAlpha: number;
  /** α of the KS test. */
  ks: number;
  /** α of the chi-square test of homogeneity. */
  chiSquare: number;
  /** Wasserstein distance divided by the training standard deviation. */
  wasserstein: number;
  /** Jensen–Shannon distance, base 2 (in [0, 1]). */
  jensenShannon: number;
  /** Hellinger distance (in [0, 1]). */
  hellinger: number;
}

export interface DriftSettings {
  numericMethods: readonly DriftMethod[];
  /** Methods that need an order (KS, Wasserstein) report `unavailable` on categories. */
  categoricalMethods: readonly DriftMethod[];
  thresholds: DriftThresholds;
  /** A window with fewer non-missing values than this gets `insufficient_data`, no statistic. */
  minSamples: number;
  /** ε replacing an empty bin's proportion in PSI. */
  psiEpsilon: number;
  /**
   * Bins expecting fewer window values than this are pooled before the binned decisions
   * (poolSparseBins); fewer than two bins left gives `insufficient_data`. PSI needs more than
   * chi-square: one empty bin alone throws PSI past its threshold.
   */
  minExpected: { psi: number; chiSquare: number };
  /**
   * How KS p-values are computed, as ks_2samp's `method`: `auto` (exact when both sizes are
   * <= 10,000) matches scipy's default; `asymp` trades that for speed (the exact recursion
   * costs O(n·m/gcd) — about 15 ms for 5,000 vs 10,000 values).
   */
  ksMethod: KsMethod;
  /**
   * Most steps an exact KS p-value may take (see insideMethodWork) before the asymptotic one
   * is used instead, so a strongly drifted window cannot stall the daemon for seconds. The
   * default (1e4, about 25 µs) keeps exact p-values for two small samples and skips the
   * recursion elsewhere: the two decide alike (bench:ks-methods: at most 0.5 % of windows
   * differ, the same false-alarm rates and power), and at 1e5 the recursion was most of a
   * fleet's evaluation time (README "What the defaults guarantee").
   */
  ksMaxExactWork: number;
}

/**
 * KS + PSI for numeric features and chi-square + PSI for categorical ones; PSI 0.1/0.25 is the
 * credit-scoring rule of thumb, α = 0.05 the usual test level, 0.1 Evidently's distance default.
 */
export const DEFAULT_DRIFT_SETTINGS: DriftSettings = {
  numericMethods: ['ks', 'psi'],
  categoricalMethods: ['chi_square', 'psi'],
  thresholds: {
    psi: 0.25,
    psiWarning: 0.1,
    psiAlpha: 0.05,
    ks: 0.05,
    chiSquare: 0.05,
    wasserstein: 0.1,
    jensenShannon: 0.1,
    hellinger: 0.1,
  },
  minSamples: 30,
  psiEpsilon: 1e-4,
  minExpected: { psi: 10, chiSquare: 5 },
  ksMethod: 'auto',
  ksMaxExactWork: 1e4,
};
