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
   * How KS p-values are computed, as ks_2samp's `method`: `auto` (exact when both sizes are
   * <= 10,000) matches scipy's default; `asymp` trades that for speed (the exact recursion
   * costs O(n·m/gcd) — about 15 ms for 5,000 vs 10,000 values).
   */
  ksMethod: KsMethod;
  /**
   * Most steps an exact KS p-value may take (see insideMethodWork) before the asymptotic one
   * is used instead, so a strongly drifted window cannot stall the daemon for seconds. At the
   * default (2e7, about 50 ms) a 10,000-value reference sample and a 5,000-value window stay
   * exact up to D ≈ 0.2, where p is already below 1e-80.
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
    ks: 0.05,
    chiSquare: 0.05,
    wasserstein: 0.1,
    jensenShannon: 0.1,
    hellinger: 0.1,
  },
  minSamples: 30,
  psiEpsilon: 1e-4,
  ksMethod: 'auto',
  ksMaxExactWork: 2e7,
};
