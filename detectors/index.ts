// The statistical heart of driftwatch: pure functions and mergeable window aggregates.
// No I/O, no clock, no logging; exactness is checked against scipy (tests/fixtures).
export { ksTwoSample, ksStatisticSorted, ksPValue, KS_MAX_AUTO_N } from './ks.js';
export type { KsMethod, KsResult } from './ks.js';
export { chiSquareGoodnessOfFit, chiSquareContingency } from './chi-square.js';
export type { ChiSquareResult } from './chi-square.js';
export { psi, DEFAULT_PSI_EPSILON } from './psi.js';
export { jensenShannonDistance } from './jensen-shannon.js';
export { wassersteinDistance } from './wasserstein.js';
export { hellingerDistance } from './hellinger.js';
export { adjustPValues, DEFAULT_CORRECTION } from './correction.js';
export type { PValueCorrection } from './correction.js';
export { DetectorInputError } from './errors.js';
export { binIndex, countIntoBins, toProportions } from './bins.js';
export { sortInPlace, sortedCopy } from './sort.js';
export { quantileSorted, quantileCuts } from './quantile.js';
export { toReferenceSample } from './reference.js';
export type {
  TrainingRange,
  ReferenceSample,
  NumericReference,
  CategoricalReference,
  FeatureReference,
} from './reference.js';
export { NumericAggregate } from './aggregates/numeric.js';
export {
  CategoricalAggregate,
  MAX_UNSEEN_CATEGORIES,
  OVERFLOW_CATEGORY,
} from './aggregates/categorical.js';
export { Moments } from './aggregates/moments.js';
export type { OutOfRangeState, OutOfRangeSummary } from './aggregates/out-of-range.js';
export { CELL_STRIDE, forEachCell } from './aggregates/state.js';
export type {
  CategoricalAggregateState,
  FeatureAggregateState,
  KsState,
  NumericAggregateState,
  SourceFloatsState,
} from './aggregates/state.js';
export type { FeatureSummary } from './aggregates/moments.js';
export { evaluateFeature } from './decision.js';
export { correctWindow, datasetDrift } from './window-decision.js';
export { poolSparseBins } from './pooling.js';
export type { DecisionRule } from './verdict.js';
export type { DriftResult, DriftStatus, FeatureAggregate } from './decision.js';
export type { DatasetDrift } from './window-decision.js';
export { DEFAULT_DRIFT_SETTINGS, NUMERIC_METHODS, CATEGORICAL_METHODS } from './settings.js';
export type { DriftMethod, CategoricalMethod, DriftSettings, DriftThresholds } from './settings.js';
export {
  ClassificationQuality,
  CALIBRATION_BINS,
  DEFAULT_MAX_SCORES,
  MAX_QUALITY_CLASSES,
  OTHER_CLASS,
} from './quality/classification.js';
export type { ClassificationMetrics, ClassQuality } from './quality/classification.js';
export { RegressionQuality } from './quality/regression.js';
export type { RegressionMetrics } from './quality/regression.js';
export {
  QuantileSketch,
  DEFAULT_SKETCH_ALPHA,
  DEFAULT_SKETCH_MAX_BUCKETS,
} from './quantile-sketch.js';
export type { QuantileSketchState } from './quantile-sketch.js';
