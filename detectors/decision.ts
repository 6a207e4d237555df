import type { CategoricalAggregate } from './aggregates/categorical.js';
import type { NumericAggregate } from './aggregates/numeric.js';
import { chiSquareContingency } from './chi-square.js';
import { DetectorInputError } from './errors.js';
import { adjustPValues, type PValueCorrection } from './correction.js';
import { hellingerDistance } from './hellinger.js';
import { jensenShannonDistance } from './jensen-shannon.js';
import { ksPValue } from './ks.js';
import { psi } from './psi.js';
import type { DriftMethod, DriftSettings, DriftThresholds } from './settings.js';

export type DriftStatus = 'ok' | 'insufficient_data' | 'unavailable';

/** One method's verdict on one feature in one window. Never NaN: no number → null. */
export interface DriftResult {
  feature: string;
  method: DriftMethod;
  /** `insufficient_data`: fewer values than the minimum; `unavailable`: the baseline lacks
   * what the method needs (a reference sample for KS/Wasserstein). */
  status: DriftStatus;
  statistic: number | null;
  /** KS and chi-square only. */
  pValue: number | null;
  /** The p-value after the window's multiple-test correction (equal to pValue without one). */
  adjustedPValue: number | null;
  threshold: number;
  drifted: boolean;
  /** Beyond the warning level (PSI's moderate shift); the same as `drifted` for other methods. */
  warning: boolean;
  /** Non-missing values in the window. */
  n: number;
  /** Reference size the statistic was computed against (training count, or sample size). */
  nRef: number;
  missing: number;
  /** Wasserstein: the statistic is within ± this of the exact value. */
  bound?: number;
  /** Categorical: window values whose category the baseline never saw. */
  unseen?: number;
  /** `unavailable`: why the method gave no number. */
  reason?: string;
  /** KS: how the p-value was computed (ks_2samp's method). */
  pValueMethod?: 'exact' | 'asymp';
}

export type FeatureAggregate = NumericAggregate | CategoricalAggregate;

function isFiniteResult(c: Computed): boolean {
  return (
    Number.isFinite(c.statistic) &&
    (c.pValue === null || Number.isFinite(c.pValue)) &&
    (c.bound === undefined || Number.isFinite(c.bound))
  );
}

const P_VALUE_METHODS: ReadonlySet<DriftMethod> = new Set(['ks', 'chi_square']);

function thresholdOf(method: DriftMethod, t: DriftThresholds): number {
  switch (method) {
    case 'psi':
      return t.psi;
    case 'ks':
      return t.ks;
    case 'chi_square':
      return t.chiSquare;
    case 'wasserstein':
      return t.wasserstein;
    case 'jensen_shannon':
      return t.jensenShannon;
    case 'hellinger':
      return t.hellinger;
  }
}

/** Drops categories/bins empty on both sides (chi2_contingency rejects them). */
function homogeneity(reference: Float64Array, current: Float64Array) {
  const keep: number[] = [];
  for (let i = 0; i < reference.length; i++) {
    if ((reference[i] as number) > 0 || (current[i] as number) > 0) keep.push(i);
  }
  const ref = Float64Array.from(keep, (i) => reference[i] as number);
  const cur = Float64Array.from(keep, (i) => current[i] as number);
  return chiSquareContingency([ref, cur]);
}

interface Computed {
  statistic: number;
  pValue: number | null;
  nRef: number;
  bound?: number;
  pValueMethod?: 'exact' | 'asymp';
}

/** The method's numbers, or why it cannot give any for this feature. */
function compute(
  method: DriftMethod,
  aggregate: FeatureAggregate,
  settings: DriftSettings,
): Computed | string {
  let reference: Float64Array;
  let current: Float64Array;
  if (aggregate.reference.kind === 'numeric') {
    const numeric = aggregate as NumericAggregate;
    const sample = numeric.reference.sample;
    if (method === 'ks' || method === 'wasserstein') {
      if (sample === undefined) return 'the baseline has no reference sample (rebuild it)';
      if (method === 'ks') {
        const r = ksPValue(numeric.ksStatistic(), sample.size, numeric.n, settings.ksMethod, {
          maxExactWork: settings.ksMaxExactWork,
        });
        return {
          statistic: r.statistic,
          pValue: r.pValue,
          nRef: sample.size,
          pValueMethod: r.method,
        };
      }
      const w = numeric.wasserstein();
      // Scaled by the training spread (Evidently's rule) so one threshold fits every feature.
      const scale = Math.max(numeric.reference.std, 0.001);
      if (!Number.isFinite(scale)) return 'the training standard deviation is not finite';
      return {
        statistic: w.estimate / scale,
        pValue: null,
        nRef: sample.size,
        bound: w.bound / scale,
      };
    }
    reference = numeric.reference.binCounts;
    current = numeric.binCounts;
  } else {
    ({ reference, current } = (aggregate as CategoricalAggregate).alignedCounts());
  }
  const nRef = aggregate.reference.count;
  switch (method) {
    case 'psi':
      return {
        statistic: psi(reference, current, { epsilon: settings.psiEpsilon }),
        pValue: null,
        nRef,
      };
    case 'chi_square': {
      const r = homogeneity(reference, current);
      return { statistic: r.statistic, pValue: r.pValue, nRef };
    }
    case 'jensen_shannon':
      return {
        statistic: jensenShannonDistance(reference, current, { base: 2 }),
        pValue: null,
        nRef,
      };
    case 'hellinger':
      return { statistic: hellingerDistance(reference, current), pValue: null, nRef };
    default:
      return `${method} needs ordered values; the feature is categorical`;
  }
}

/**
 * Every configured method's result for one feature's window aggregate against its baseline.
 * Never throws on data: too few values give `insufficient_data`, a method the baseline cannot
 * support gives `unavailable`.
 */
export function evaluateFeature(
  feature: string,
  aggregate: FeatureAggregate,
  settings: DriftSettings,
): DriftResult[] {
  const numeric = aggregate.reference.kind === 'numeric';
  const methods: readonly DriftMethod[] = numeric
    ? settings.numericMethods
    : settings.categoricalMethods;
  const n = aggregate.n;
  const missing = numeric
    ? (aggregate as NumericAggregate).missing + (aggregate as NumericAggregate).nonFinite
    : aggregate.missing;
  const unseen = numeric ? undefined : (aggregate as CategoricalAggregate).unseenCount;
  const minSamples = Math.max(1, settings.minSamples);
  return methods.map((method): DriftResult => {
    const threshold = thresholdOf(method, settings.thresholds);
    const base = {
      feature,
      method,
      threshold,
      n,
      missing,
      ...(unseen === undefined ? {} : { unseen }),
    };
    const empty = {
      statistic: null,
      pValue: null,
      adjustedPValue: null,
      drifted: false,
      warning: false,
    };
    if (n < minSamples) {
      return { ...base, ...empty, status: 'insufficient_data', nRef: aggregate.reference.count };
    }
    let c: Computed | string;
    try {
      c = compute(method, aggregate, settings);
    } catch (err) {
      // A baseline the detectors reject (say, every training count 0) must not take the
      // daemon down: the point says why, and the other methods and features go on.
      if (!(err instanceof DetectorInputError)) throw err;
      c = err.message;
    }
    if (typeof c !== 'string' && !isFiniteResult(c)) {
      c = `${method} overflowed (values too large for double precision)`;
    }
    if (typeof c === 'string') {
      return {
        ...base,
        ...empty,
        status: 'unavailable',
        nRef: aggregate.reference.count,
        reason: c,
      };
    }
    const drifted = P_VALUE_METHODS.has(method)
      ? (c.pValue as number) <= threshold
      : c.statistic >= threshold;
    const warning =
      method === 'psi' ? c.statistic >= settings.thresholds.psiWarning || drifted : drifted;
    return {
      ...base,
      status: 'ok',
      statistic: c.statistic,
      pValue: c.pValue,
      adjustedPValue: c.pValue,
      drifted,
      warning,
      nRef: c.nRef,
      ...(c.bound === undefined ? {} : { bound: c.bound }),
      ...(c.pValueMethod === undefined ? {} : { pValueMethod: c.pValueMethod }),
    };
  });
}

/**
 * Applies a multiple-test correction across a window's p-value results (all features, KS and
 * chi-square together) and re-decides `drifted` on the adjusted p-values. Returns new objects.
 */
export function correctWindow(
  results: readonly DriftResult[],
  method: PValueCorrection,
): DriftResult[] {
  const tested = results.filter((r) => r.status === 'ok' && r.pValue !== null);
  if (method === 'none' || tested.length === 0) return results.map((r) => ({ ...r }));
  const adjusted = adjustPValues(
    tested.map((r) => r.pValue as number),
    method,
  );
  const byResult = new Map(tested.map((r, i) => [r, adjusted[i] as number]));
  return results.map((r) => {
    const q = byResult.get(r);
    if (q === undefined) return { ...r };
    const drifted = q <= r.threshold;
    return { ...r, adjustedPValue: q, drifted, warning: drifted };
  });
}

export interface DatasetDrift {
  /** Features with at least one method's result (not insufficient/unavailable). */
  features: number;
  driftedFeatures: number;
  share: number;
  /** Share at or above which the dataset counts as drifted (Evidently's drift_share). */
  threshold: number;
  drifted: boolean;
}

/** Dataset-level drift: the share of evaluated features where any method found drift. */
export function datasetDrift(results: readonly DriftResult[], threshold = 0.5): DatasetDrift {
  const evaluated = new Map<string, boolean>();
  for (const r of results) {
    if (r.status !== 'ok') continue;
    evaluated.set(r.feature, (evaluated.get(r.feature) ?? false) || r.drifted);
  }
  let driftedFeatures = 0;
  for (const d of evaluated.values()) if (d) driftedFeatures++;
  const features = evaluated.size;
  const share = features === 0 ? 0 : driftedFeatures / features;
  return {
    features,
    driftedFeatures,
    share,
    threshold,
    drifted: features > 0 && share >= threshold,
  };
}
