/**
 * The alerting domain: what a rule sees (observations of drift series), what it decides
 * (transitions of alert instances) and what it sends (notifications). Pure data, shared by the
 * rule engine, the notifiers, the daemon and the backtest.
 */

import type { SilenceNote } from './silence.js';

export type Severity = 'info' | 'warning' | 'critical';
export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];
export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);

/** The drift series a point belongs to (with a rule, an alert instance's identity). */
export interface SeriesIdentity {
  model: string;
  modelVersion: string;
  feature: string;
  /** psi, ks, chi_square, …, drift_share (feature `_dataset`) or summary. */
  method: string;
  /** The window length label, e.g. "5m" (the `window` tag). */
  window: string;
}

/** One drift point of one window, as a rule reads it (live from the window, or from InfluxDB). */
export interface DriftObservation extends SeriesIdentity {
  baseline: string;
  windowStart: number;
  windowEnd: number;
  /** ok | insufficient_data | unavailable (drift points); summary points are ok. */
  status: string;
  statistic: number | null;
  pValue: number | null;
  /** After the window's multiple-test correction (equal to pValue without one). */
  adjustedPValue: number | null;
  /** The correction behind adjustedPValue; null when none applied. */
  correction: PValueAdjustment | null;
  threshold: number | null;
  drifted: boolean;
  /** Non-missing values (drift/summary points) or features (drift_share). */
  n: number;
  missing: number;
  unseen: number | null;
  /**
   * Numeric summary points: values outside the training minimum–maximum, and outside its
   * 0.1–99.9 % quantiles. Absent when the feature has no training range (categorical, a
   * format-1 baseline) or the window's counts are unknown (merged with an older-format partial);
   * outOfQuantiles null when the baseline file predates its tail quantiles.
   */
  outOfRange?: number | null;
  outOfQuantiles?: number | null;
  /** Numeric summary points: values of the wrong type (text, booleans), apart from missing. */
  wrongType?: number;
  /**
   * The model-level points' numbers (`ops`, `schema`, `prediction_class` methods), by the
   * statistic rules name them with; null when the window had none (no latency logged).
   */
  measures?: Readonly<Partial<Record<MeasureName, number | null>>>;
  /**
   * The model-level points' text fields (the schema point's `new_feature_names`, …), kept so a
   * notification can say which features a count is about; absent when the point has none.
   */
  details?: Readonly<Partial<Record<DetailName, string>>>;
}

/** Text fields of the model-level points carried into observations (as `details`). */
export const DETAILS = [
  'missing_feature_names',
  'wrong_type_feature_names',
  'new_feature_names',
] as const;
export type DetailName = (typeof DETAILS)[number];

const QUALITY_MEASURES = [
  'label_coverage',
  'accuracy',
  'precision',
  'recall',
  'f1',
  'roc_auc',
  'log_loss',
  'calibration_error',
  'mae',
  'rmse',
  'mape',
  'bias',
] as const;
const QUALITY_CLASS_MEASURES = ['precision', 'recall', 'f1'] as const;

/**
 * The numbers rules read directly from the model-level points, by the points' method tag: a
 * statistic is read only from its own points (`precision` from `quality` and `quality_class`).
 */
export const MEASURES_BY_METHOD = {
  ops: [
    'events',
    'events_per_second',
    'late_events',
    'future_events',
    'error_share',
    'latency_p50',
    'latency_p90',
    'latency_p99',
  ],
  schema: ['missing_features', 'new_features', 'wrong_type_features'],
  prediction_class: ['class_share'],
  new_feature: [],
  quality: QUALITY_MEASURES,
  quality_class: QUALITY_CLASS_MEASURES,
  // The same fields from delayed labels (settled: see DELAYED_QUALITY_METHODS).
  quality_delayed: QUALITY_MEASURES,
  quality_class_delayed: QUALITY_CLASS_MEASURES,
} as const;
export type MeasureName = (typeof MEASURES_BY_METHOD)[keyof typeof MEASURES_BY_METHOD][number];
export const MEASURES: readonly MeasureName[] = [
  ...new Set<MeasureName>(Object.values(MEASURES_BY_METHOD).flat()),
];

/** A multiple-test correction as the on-call engineer reads it: method and family size. */
export interface PValueAdjustment {
  /** bonferroni | benjamini_hochberg */
  method: string;
  /** How many p-values (the window's features) it spanned. */
  tests: number;
}

/** States of one alert instance (rule × series). `resolved` is reported, then it is inactive. */
export type AlertState = 'inactive' | 'pending' | 'firing' | 'recovering' | 'resolved';

/** Why a notification goes out. */
export type NotificationKind = 'firing' | 'update' | 'repeat' | 'resolved' | 'retrain';

/** One alert inside a notification: a rule on one series, as the on-call engineer reads it. */
export interface AlertSnapshot extends SeriesIdentity {
  /** Stable identity of the instance: sha256 of rule and series, hex (first 32 chars). */
  fingerprint: string;
  /** The rule name; `<rule>:stale` for the monitor-stale alert of a rule. */
  rule: string;
  /** Episode from firing to resolved; deterministic (fingerprint + first firing window end). */
  episodeId: string;
  /** Transition counter of the instance, increasing over its whole life. */
  seq: number;
  state: AlertState;
  /** firing → notified as firing; resolved → this notification reports its resolution. */
  status: 'firing' | 'resolved';
  severity: Severity;
  flapping: boolean;
  baseline: string;
  /** What the rule tests: the method's statistic (psi, ks, …), p_value, drift_share, missing_share, unseen_share, or seconds_without_data (stale). */
  statistic: string;
  /** Its value in the last evaluated window (null when that window had none). */
  value: number | null;
  /** When `value` is an adjusted p-value: the correction it comes from. */
  correction: PValueAdjustment | null;
  /** The rule's firing threshold and operator, e.g. ">" 0.25. */
  op: string;
  threshold: number;
  recoverThreshold: number;
  windowStart: number;
  windowEnd: number;
  /** Samples in the last evaluated window (n) and the rule's minimum. */
  samples: number;
  /** Event time (window end) the episode started firing at, and resolved at. */
  startsAt: number;
  endsAt: number | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Why the state is what it is when it is not the plain condition (stale, flapping, …). */
  stateReason: string | null;
  /**
   * Set in the first notification after a silence held this alert: which silence, its time
   * range (endsAt is when it was expired, if it was) and who made it.
   */
  silenced: SilenceNote | null;
  /**
   * Schema alerts (method `schema`): the features behind the counts in the last evaluated
   * window; null for other alerts, and for schema alerts whose names are not known (state
   * written before they were kept).
   */
  schema: SchemaNames | null;
}

/** Feature names of a schema point, as listed (bounded) in the window's point. */
export interface SchemaNames {
  missingFeatures: string[];
  wrongTypeFeatures: string[];
  newFeatures: string[];
  /** Names the point did not list (past its bound), per list; 0 when all are listed. */
  unlisted: { missingFeatures: number; wrongTypeFeatures: number; newFeatures: number };
}

/**
 * What a receiver is asked to deliver. Its `id` is deterministic (group, group episode,
 * sequence), so it doubles as `webhook-id`, email Message-ID and idempotency key.
 */
export interface AlertNotification {
  id: string;
  kind: NotificationKind;
  /** Receiver names this notification goes to. */
  receivers: string[];
  /** Stable identity of the group (hash of its group_by label values and rule set). */
  groupKey: string;
  groupLabels: Record<string, string>;
  /** The group's episode: from its first firing alert until all are resolved. */
  groupEpisodeId: string;
  /** Notification counter within the group episode (1 = the first firing). */
  groupSeq: number;
  /** Highest severity among the group's firing alerts (or the last one at resolve). */
  severity: Severity;
  status: 'firing' | 'resolved';
  /** Event time the decision was made at (window end or watermark). */
  time: number;
  alerts: AlertSnapshot[];
  /** Alerts of the group left out of `alerts` (at most 100 are listed; firing and severe first). */
  truncatedAlerts: number;
  /** Links for the body: dashboard (templated from config), runbook (first alert's). */
  links: { dashboard: string | null; runbook: string | null };
  /** Retraining requests only: the evidence and the id a pipeline can use as its run id. */
  retrain?: RetrainEvidence;
}

export interface RetrainEvidence {
  requestId: string;
  model: string;
  modelVersion: string;
  baseline: string;
  windowStart: number;
  windowEnd: number;
  severity: Severity;
  episodeId: string;
  firingSince: number;
  driftedFeatures: {
    feature: string;
    method: string;
    statistic: string;
    value: number | null;
    threshold: number;
    samples: number;
  }[];
}

/** One state change of one instance, written to InfluxDB for Grafana annotations. */
export interface AlertTransition extends SeriesIdentity {
  fingerprint: string;
  rule: string;
  severity: Severity;
  from: AlertState;
  to: AlertState;
  seq: number;
  episodeId: string | null;
  value: number | null;
  threshold: number;
  samples: number;
  time: number;
  reason: string | null;
}

/**
 * The quality of a window from delayed labels, settled (README "Alerts on delayed quality"):
 * it reaches the rules `labels.settleAfter` after the window ended, long after the window's
 * other points, so the engine keeps its evaluation order apart from the live windows'.
 */
export const DELAYED_QUALITY_METHODS: ReadonlySet<string> = new Set([
  'quality_delayed',
  'quality_class_delayed',
]);
export const isDelayedQuality = (method: string): boolean => DELAYED_QUALITY_METHODS.has(method);

/** The `window` tag of count windows (windows.count): `count:<N>`. */
export const COUNT_WINDOW_PREFIX = 'count:';
export const isCountWindow = (window: string): boolean => window.startsWith(COUNT_WINDOW_PREFIX);
