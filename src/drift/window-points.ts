import {
  correctWindow,
  DEFAULT_CORRECTION,
  DEFAULT_DRIFT_SETTINGS,
  datasetDrift,
  evaluateFeature,
  NumericAggregate,
  type DriftMethod,
  type DriftResult,
  type DriftSettings,
  type DriftThresholds,
  type FeatureAggregate,
  type PValueCorrection,
} from '../../detectors/index.js';
import { formatDuration } from '../config/duration.js';
import type { FileConfig } from '../config/schema.js';
import type { Window } from '../windows/window.js';
import { modelPoints, type WindowModelPoint } from './model-points.js';

/** Method tag of the dataset-level point: the share of the window's features that drifted. */
export const DATASET_METHOD = 'drift_share';
/** Feature tag of the dataset-level point. */
export const DATASET_FEATURE = '_dataset';
/** Method tag of the per-feature summary point (count, missing, mean, std, min, max). */
export const SUMMARY_METHOD = 'summary';

interface WindowIdentity {
  model: string;
  modelVersion: string;
  baselineHash: string;
  windowStart: number;
  windowEnd: number;
  /** The `window` tag when it is not the span's length (count windows: `count:<N>`). */
  windowTag?: string;
}

/** The `window` tag of a point: its window's length (`5m`, `1h`), or a count window's tag. */
export function windowTagOf(p: Pick<WindowIdentity, 'windowStart' | 'windowEnd' | 'windowTag'>) {
  return p.windowTag ?? formatDuration(p.windowEnd - p.windowStart);
}

/** One drift result of one closed window, with its identity: one InfluxDB point. */
export interface WindowDriftResult extends Omit<DriftResult, 'method'>, WindowIdentity {
  kind: 'drift';
  method: DriftMethod | typeof DATASET_METHOD;
}

/** What one feature looked like in one window: one InfluxDB point with method "summary". */
export interface WindowFeatureSummary extends WindowIdentity {
  kind: 'summary';
  feature: string;
  n: number;
  missing: number;
  /** Numeric features; null without values (or below two for std). */
  mean?: number | null;
  std?: number | null;
  min?: number | null;
  max?: number | null;
  /** Categorical features: distinct categories seen, and values of unseen ones. */
  categories?: number;
  unseen?: number;
  /**
   * Numeric features whose baseline says what training covered: values below its minimum,
   * above its maximum, below its 0.1 % and above its 99.9 % quantile (null: the baseline file
   * predates the quantiles). Absent when unknown for this window (see OutOfRangeCounts).
   */
  belowMin?: number;
  aboveMax?: number;
  belowLow?: number | null;
  aboveHigh?: number | null;
  /** Numeric features: values of the wrong type (text, booleans), not counted as missing. */
  wrongType?: number;
  /**
   * The window's distribution in the baseline's terms (reports draw it against the baseline's):
   * numeric, the count per baseline bin; categorical, the count per baseline category, then
   * every other value pooled.
   */
  counts?: readonly number[];
}

export type WindowPoint = WindowDriftResult | WindowFeatureSummary | WindowModelPoint;

/** Per-feature settings that replace the window-wide ones (config `drift.features.<name>`). */
export interface FeatureOverride {
  methods?: readonly DriftMethod[];
  thresholds?: Partial<DriftThresholds>;
  minSamples?: number;
}

export interface WindowDriftSettings extends DriftSettings {
  correction: PValueCorrection;
  /** Share of drifted features at or above which the whole window counts as drifted. */
  datasetDriftShare: number;
  features: ReadonlyMap<string, FeatureOverride>;
}

function settingsFor(feature: string, settings: WindowDriftSettings): DriftSettings {
  const o = settings.features.get(feature);
  if (o === undefined) return settings;
  return {
    ...settings,
    numericMethods: o.methods ?? settings.numericMethods,
    categoricalMethods: o.methods ?? settings.categoricalMethods,
    thresholds: { ...settings.thresholds, ...o.thresholds },
    minSamples: o.minSamples ?? settings.minSamples,
  };
}

function summaryOf(
  feature: string,
  aggregate: FeatureAggregate,
  identity: WindowIdentity,
  wrongType: number | undefined,
): WindowFeatureSummary {
  if (aggregate instanceof NumericAggregate) {
    const { count, ...rest } = aggregate.summary();
    const counts = Array.from(aggregate.binCounts);
    const outOfRange = aggregate.outOfRangeSummary();
    const summary: WindowFeatureSummary = {
      ...identity,
      kind: 'summary',
      feature,
      n: count,
      ...rest,
      ...outOfRange,
      counts,
    };
    if (wrongType !== undefined) summary.wrongType = wrongType;
    return summary;
  }
  const s = aggregate.summary();
  return {
    ...identity,
    kind: 'summary',
    feature,
    n: s.count,
    missing: s.missing,
    categories: s.categories,
    unseen: s.unseen,
    counts: [...aggregate.counts, s.unseen],
  };
}

/**
 * Every configured method for every baseline feature, the window's multiple-test correction,
 * the dataset-level share of drifted features, and a summary point per feature.
 */
export function evaluateWindow(window: Window, settings: WindowDriftSettings): WindowPoint[] {
  const identity: WindowIdentity = {
    model: window.model,
    modelVersion: window.modelVersion,
    baselineHash: window.baseline.hash,
    windowStart: window.start,
    windowEnd: window.end,
    // Only count windows carry it: every other point keeps its shape.
    ...(window.tag === undefined ? {} : { windowTag: window.tag }),
  };
  const perFeature: DriftResult[] = [];
  const summaries: WindowFeatureSummary[] = [];
  let i = 0;
  for (const [feature, aggregate] of window.featureAggregates()) {
    perFeature.push(...evaluateFeature(feature, aggregate, settingsFor(feature, settings)));
    const wrongType = window.ops.known ? window.ops.wrongType[i] : undefined;
    summaries.push(summaryOf(feature, aggregate, identity, wrongType));
    i++;
  }
  const corrected = correctWindow(perFeature, settings.correction);
  const dataset = datasetDrift(corrected, settings.datasetDriftShare);
  const datasetResult: WindowDriftResult = {
    ...identity,
    kind: 'drift',
    feature: DATASET_FEATURE,
    method: DATASET_METHOD,
    status: dataset.features > 0 ? 'ok' : 'insufficient_data',
    statistic: dataset.features > 0 ? dataset.share : null,
    pValue: null,
    adjustedPValue: null,
    threshold: dataset.threshold,
    alpha: null,
    rule: dataset.features > 0 ? 'threshold' : 'min_samples',
    drifted: dataset.drifted,
    warning: dataset.drifted,
    n: dataset.features,
    nRef: window.baseline.features.size,
    missing: 0,
  };
  return [
    // corrected holds correctWindow's own copies: given their identity in place, not copied
    // again (a spread of objects of so many shapes took a twentieth of a window's evaluation).
    ...corrected.map((r): WindowDriftResult =>
      Object.assign(r, identity, { kind: 'drift' as const }),
    ),
    datasetResult,
    ...summaries,
    ...modelPoints(window, identity),
  ];
}

/** The configuration's `drift` section as the evaluator's settings. */
export function driftSettingsFrom(drift: FileConfig['drift']): WindowDriftSettings {
  return {
    numericMethods: drift.methods.numeric,
    categoricalMethods: drift.methods.categorical,
    thresholds: { ...drift.thresholds, psi: drift.psiThreshold ?? drift.thresholds.psi },
    minSamples: drift.minSamples,
    psiEpsilon: drift.psiEpsilon,
    minExpected: drift.minExpected,
    ksMethod: drift.ksMethod,
    ksMaxExactWork: drift.ksMaxExactWork,
    correction: drift.correction,
    datasetDriftShare: drift.datasetDriftShare,
    features: new Map(Object.entries(drift.features)),
  };
}

export const DEFAULT_WINDOW_DRIFT_SETTINGS: WindowDriftSettings = {
  ...DEFAULT_DRIFT_SETTINGS,
  correction: DEFAULT_CORRECTION,
  datasetDriftShare: 0.5,
  features: new Map(),
};
