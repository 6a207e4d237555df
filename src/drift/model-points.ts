import type { Window } from '../windows/window.js';
import { listNames, SCHEMA_POINT_METHOD } from '../../alert-engine/schema-names.js';
import {
  DELAYED_QUALITY_CLASS_METHOD,
  DELAYED_QUALITY_METHOD,
  QUALITY_CLASS_METHOD,
  QUALITY_METHOD,
  qualityPoints,
} from './quality-points.js';

/** Methods of the model-level points (feature `_model`, `_dataset`, a class or a new name). */
export const OPS_METHOD = 'ops';
export const SCHEMA_METHOD = SCHEMA_POINT_METHOD;
export const CLASS_METHOD = 'prediction_class';
export const NEW_FEATURE_METHOD = 'new_feature';
/** Feature tag of the ops point, and of the pooled classes past the tracked ones. */
export const MODEL_FEATURE = '_model';
export const OTHER_CLASSES = '_other';
export const MODEL_POINT_METHODS: ReadonlySet<string> = new Set([
  OPS_METHOD,
  SCHEMA_METHOD,
  CLASS_METHOD,
  NEW_FEATURE_METHOD,
  QUALITY_METHOD,
  QUALITY_CLASS_METHOD,
  DELAYED_QUALITY_METHOD,
  DELAYED_QUALITY_CLASS_METHOD,
]);

export type ModelPointMethod =
  | typeof QUALITY_METHOD
  | typeof QUALITY_CLASS_METHOD
  | typeof DELAYED_QUALITY_METHOD
  | typeof DELAYED_QUALITY_CLASS_METHOD
  | typeof OPS_METHOD
  | typeof SCHEMA_METHOD
  | typeof CLASS_METHOD
  | typeof NEW_FEATURE_METHOD;

interface Identity {
  model: string;
  modelVersion: string;
  baselineHash: string;
  windowStart: number;
  windowEnd: number;
  windowTag?: string;
}

/**
 * A model-level point of one window (README "Ops and schema series"): integer counts, floats
 * (null: none this window, left out of the point) and name lists. Field names are what rules
 * read: `events`, `latency_p99`, `new_features`, `class_share`, ….
 */
export interface WindowModelPoint extends Identity {
  kind: 'model';
  method: ModelPointMethod;
  feature: string;
  n: number;
  /** Always 0: a model-level point counts events, not a feature's values. */
  missing: 0;
  ints: Readonly<Record<string, number>>;
  floats: Readonly<Record<string, number | null>>;
  strings: Readonly<Record<string, string>>;
}

const LATENCY_QUANTILES = [
  ['latency_p50', 0.5],
  ['latency_p90', 0.9],
  ['latency_p99', 0.99],
] as const;

/**
 * The window's ops point, schema point, a point per predicted class and per feature outside the
 * baseline. None when a partial of an older format (no ops) was merged in: low counts would
 * read as a drop.
 */
export function modelPoints(window: Window, identity: Identity): WindowModelPoint[] {
  const ops = window.ops;
  if (!ops.known) return [];
  const events = window.events;
  const seconds = (window.end - window.start) / 1000;
  const point = (
    method: ModelPointMethod,
    feature: string,
    n: number,
    ints: Record<string, number>,
    floats: Record<string, number | null> = {},
    strings: Record<string, string> = {},
  ): WindowModelPoint => ({
    ...identity,
    kind: 'model',
    missing: 0,
    method,
    feature,
    n,
    ints,
    floats,
    strings,
  });
  const latency = ops.latency;
  const opsFloats: Record<string, number | null> = {
    events_per_second: seconds > 0 ? events / seconds : null,
    error_share: events > 0 ? ops.errors / events : null,
  };
  for (const [name, q] of LATENCY_QUANTILES) opsFloats[name] = latency?.quantile(q) ?? null;
  opsFloats.latency_max = latency?.quantile(1) ?? null;
  opsFloats.latency_relative_error = latency ? latency.alpha : null;
  const numeric = ops.numericPredictions;
  opsFloats.prediction_mean = numeric > 0 ? ops.predictionSum / numeric : null;
  opsFloats.prediction_min = numeric > 0 ? ops.predictionMin : null;
  opsFloats.prediction_max = numeric > 0 ? ops.predictionMax : null;
  const points = [
    point(
      OPS_METHOD,
      MODEL_FEATURE,
      events,
      {
        events,
        errors: ops.errors,
        late_events: ops.lateEvents,
        future_events: ops.futureEvents,
        latency_count: latency?.n ?? 0,
        latency_invalid: ops.latencyInvalid,
        predictions_numeric: numeric,
      },
      opsFloats,
    ),
  ];

  const classified = [...ops.classes.values()].reduce((a, b) => a + b, 0) + ops.otherClasses;
  const classes: [string, number][] = [...ops.classes].sort(([a], [b]) => (a < b ? -1 : 1));
  if (ops.otherClasses > 0) classes.push([OTHER_CLASSES, ops.otherClasses]);
  for (const [name, count] of classes) {
    // n: the predictions the share is of (what min_samples holds it to).
    points.push(
      point(CLASS_METHOD, name, classified, { count }, { class_share: count / classified }),
    );
  }

  const names = [...window.baseline.features.keys()];
  const summaries = window.featureAggregates();
  const missing: string[] = [];
  const wrong: string[] = [];
  let wrongTotal = 0;
  names.forEach((name, i) => {
    const wrongType = ops.wrongType[i] ?? 0;
    wrongTotal += wrongType;
    if (wrongType > 0) wrong.push(name);
    const aggregate = summaries.get(name);
    const seen = aggregate ? aggregate.summary().count : 0;
    if (seen === 0 && wrongType === 0 && events > 0) missing.push(name);
  });
  const newNames = [...ops.newFeatures.keys()].sort();
  points.push(
    point(
      SCHEMA_METHOD,
      '_dataset',
      events,
      {
        missing_features: missing.length,
        wrong_type_features: wrong.length,
        wrong_type: wrongTotal,
        new_features: newNames.length,
        new_feature_other: ops.otherNewFeatures,
      },
      {},
      {
        missing_feature_names: listNames(missing),
        wrong_type_feature_names: listNames(wrong),
        new_feature_names: listNames(newNames),
      },
    ),
  );
  for (const name of newNames) {
    const count = ops.newFeatures.get(name) ?? 0;
    points.push(
      point(NEW_FEATURE_METHOD, name, count, { events: count }, { share: count / events }),
    );
  }
  points.push(...qualityPoints(window, identity));
  return points;
}
