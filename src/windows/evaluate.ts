import {
  correctWindow,
  DEFAULT_DRIFT_SETTINGS,
  datasetDrift,
  evaluateFeature,
  type DriftMethod,
  type DriftResult,
  type DriftSettings,
  type PValueCorrection,
} from '../../detectors/index.js';
import type { FileConfig } from '../config/schema.js';
import type { Window } from './window.js';

/** Method tag of the dataset-level point: the share of the window's features that drifted. */
export const DATASET_METHOD = 'drift_share';
/** Feature tag of the dataset-level point. */
export const DATASET_FEATURE = '_dataset';

/** One result of one closed window, with its identity: one InfluxDB point. */
export interface WindowDriftResult extends Omit<DriftResult, 'method'> {
  method: DriftMethod | typeof DATASET_METHOD;
  model: string;
  modelVersion: string;
  baselineHash: string;
  windowStart: number;
  windowEnd: number;
}

export interface WindowDriftSettings extends DriftSettings {
  correction: PValueCorrection;
  /** Share of drifted features at or above which the whole window counts as drifted. */
  datasetDriftShare: number;
}

/**
 * Every configured method for every baseline feature, the window's multiple-test correction,
 * and the dataset-level share of drifted features.
 */
export function evaluateWindow(window: Window, settings: WindowDriftSettings): WindowDriftResult[] {
  const perFeature: DriftResult[] = [];
  for (const [feature, aggregate] of window.featureAggregates()) {
    perFeature.push(...evaluateFeature(feature, aggregate, settings));
  }
  const corrected = correctWindow(perFeature, settings.correction);
  const identity = {
    model: window.baseline.model,
    modelVersion: window.baseline.modelVersion,
    baselineHash: window.baseline.hash,
    windowStart: window.start,
    windowEnd: window.end,
  };
  const dataset = datasetDrift(corrected, settings.datasetDriftShare);
  const datasetResult: WindowDriftResult = {
    ...identity,
    feature: DATASET_FEATURE,
    method: DATASET_METHOD,
    status: dataset.features > 0 ? 'ok' : 'insufficient_data',
    statistic: dataset.features > 0 ? dataset.share : null,
    pValue: null,
    adjustedPValue: null,
    threshold: dataset.threshold,
    drifted: dataset.drifted,
    warning: dataset.drifted,
    n: dataset.features,
    nRef: window.baseline.features.size,
    missing: 0,
  };
  return [...corrected.map((r) => ({ ...identity, ...r })), datasetResult];
}

/** The configuration's `drift` section as the evaluator's settings. */
export function driftSettingsFrom(drift: FileConfig['drift']): WindowDriftSettings {
  return {
    numericMethods: drift.methods.numeric,
    categoricalMethods: drift.methods.categorical,
    thresholds: { ...drift.thresholds, psi: drift.psiThreshold ?? drift.thresholds.psi },
    minSamples: drift.minSamples,
    psiEpsilon: drift.psiEpsilon,
    ksMethod: drift.ksMethod,
    ksMaxExactWork: DEFAULT_DRIFT_SETTINGS.ksMaxExactWork,
    correction: drift.correction,
    datasetDriftShare: drift.datasetDriftShare,
  };
}

export const DEFAULT_WINDOW_DRIFT_SETTINGS: WindowDriftSettings = {
  ...DEFAULT_DRIFT_SETTINGS,
  correction: 'none',
  datasetDriftShare: 0.5,
};
