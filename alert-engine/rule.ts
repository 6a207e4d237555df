import type { Matcher } from './glob.js';
import {
  MEASURES_BY_METHOD,
  type DriftObservation,
  type MeasureName,
  type Severity,
} from './model.js';

export type RuleStatistic =
  | 'value'
  | 'p_value'
  | 'drift_share'
  | 'missing_share'
  | 'unseen_share'
  | 'out_of_range_share'
  | 'out_of_quantile_share'
  | 'wrong_type_share'
  | MeasureName;
export const OPERATORS = ['>', '>=', '<', '<='] as const;
export type Operator = (typeof OPERATORS)[number];
export const isOperator = (op: string): op is Operator =>
  (OPERATORS as readonly string[]).includes(op);
export type GroupLabel = 'model' | 'model_version' | 'feature' | 'method' | 'window';
/** A count of windows, or a duration turned into windows of the series' length. */
export type WindowsOrDuration = number | { ms: number };

/**
 * One comparison of a condition. `method` set: the statistic is read from the point of that
 * method of the same feature and window (`ks.p_value < 0.001` next to a PSI rule).
 */
export interface Comparison {
  statistic: RuleStatistic;
  method: string | undefined;
  op: Operator;
  threshold: number;
}

/**
 * When a rule breaches: comparisons joined by all/any (the plain `when: "value > 0.25"` is one
 * comparison), or `drifted`: the daemon's own decision carried on the point (drift config's
 * thresholds, correction and min samples), so one threshold lives in one place.
 */
export type RuleCondition =
  { kind: 'compare'; combine: 'all' | 'any'; comparisons: Comparison[] } | { kind: 'drifted' };

/** A rule as the engine runs it (validated and compiled from the rules file). */
export interface AlertRule {
  name: string;
  match: {
    model: Matcher;
    modelVersion: Matcher;
    feature: Matcher;
    method: Matcher;
    window: Matcher;
  };
  condition: RuleCondition;
  /** The first comparison (drifted: the point's statistic, `>=` 0): what is reported as the
   * alert's value, and what recover_threshold and escalate apply to. */
  statistic: RuleStatistic;
  op: Operator;
  threshold: number;
  recoverThreshold: number;
  escalate: { threshold: number; severity: Severity } | undefined;
  forWindows: WindowsOrDuration;
  keepFiringFor: WindowsOrDuration;
  minSamples: number;
  insufficientData: 'keep_last' | 'ok' | 'breach';
  staleAfterMs: number | undefined;
  staleSeverity: Severity;
  severity: Severity;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  receivers: string[];
  repeatIntervalMs: number;
  sendResolved: boolean;
  groupBy: GroupLabel[];
  groupWaitMs: number;
  groupIntervalMs: number;
  flapping: { maxEpisodes: number; withinMs: number };
}

/** A rule without its matchers: what a group remembers, so it can finish its episode even
 * after the rule left the rules file (a reload, or a restart with a new file). */
export type RuleSettings = Omit<AlertRule, 'match' | 'condition'> & {
  /** Absent in settings remembered before conditions existed: one comparison then. */
  condition?: RuleCondition;
};

const never: Matcher = () => false;

export function settingsOf(rule: AlertRule): RuleSettings {
  const settings: Partial<AlertRule> = { ...rule };
  delete settings.match;
  return settings as RuleSettings;
}

/** The condition of a plain rule: its one comparison. */
export function plainCondition(
  rule: Pick<AlertRule, 'statistic' | 'op' | 'threshold'>,
): RuleCondition {
  const { statistic, op, threshold } = rule;
  return {
    kind: 'compare',
    combine: 'all',
    comparisons: [{ statistic, method: undefined, op, threshold }],
  };
}

/** A rule that matches nothing: the remembered settings of a rule that is gone. */
export function ruleFromSettings(settings: RuleSettings): AlertRule {
  return {
    ...settings,
    // Settings remembered before conditions existed hold one comparison.
    condition: settings.condition ?? plainCondition(settings),
    match: { model: never, modelVersion: never, feature: never, method: never, window: never },
  };
}

/** What the engine needs to know of a receiver: whom resolved goes to, and the retrain gate. */
export interface ReceiverPolicy {
  name: string;
  type: 'email' | 'webhook' | 'retrain' | 'alertmanager';
  /** Overrides the rule's send_resolved when set. */
  sendResolved: boolean | undefined;
  gate?: RetrainGate;
}

export interface RetrainGate {
  minSeverity: Severity;
  minDriftedFeatures: number;
  minFiringForMs: number;
  cooldownMs: number;
}

/**
 * Points that are not a drift method's, by method tag: each read only by its own statistics
 * (a `value` rule over every method never compares a summary's or an ops point's numbers).
 */
const POINT_STATISTICS: ReadonlyMap<string, ReadonlySet<RuleStatistic>> = new Map([
  [
    'summary',
    new Set<RuleStatistic>([
      'missing_share',
      'unseen_share',
      'out_of_range_share',
      'out_of_quantile_share',
      'wrong_type_share',
    ]),
  ],
  ...Object.entries(MEASURES_BY_METHOD).map(
    ([method, measures]) => [method, new Set<RuleStatistic>(measures)] as const,
  ),
]);

/** Statistics that count windows' events or features, not values: min_samples does not gate. */
const UNGATED: ReadonlySet<RuleStatistic> = new Set([
  'drift_share',
  'events',
  'events_per_second',
  'late_events',
  'future_events',
  'missing_features',
  'new_features',
  'wrong_type_features',
]);
export const gatedByMinSamples = (statistic: RuleStatistic): boolean => !UNGATED.has(statistic);

/** Methods a statistic reads when the rule does not name them. */
export function defaultMethodPattern(statistic: RuleStatistic): string {
  if (statistic === 'drift_share') return 'drift_share';
  for (const [method, statistics] of POINT_STATISTICS) {
    if (statistics.has(statistic)) return method;
  }
  return '*';
}

export function matches(rule: AlertRule, o: DriftObservation): boolean {
  const m = rule.match;
  const own = POINT_STATISTICS.get(o.method);
  if (own && !own.has(rule.statistic)) return false;
  return (
    m.model(o.model) &&
    m.modelVersion(o.modelVersion) &&
    m.method(o.method) &&
    m.feature(o.feature) &&
    m.window(o.window)
  );
}

/**
 * The number a statistic reads from a point, or undefined when the statistic does not exist
 * for this point (a PSI point has no p-value): such series are not the rule's business at all.
 * null: the point exists but carried no number this window (insufficient or unavailable).
 */
export function statisticOf(
  statistic: RuleStatistic,
  o: DriftObservation,
): number | null | undefined {
  switch (statistic) {
    case 'value':
    case 'drift_share':
      return o.statistic;
    case 'p_value':
      if (o.method !== 'ks' && o.method !== 'chi_square') return undefined;
      return o.adjustedPValue ?? o.pValue;
    case 'missing_share': {
      const total = o.n + o.missing + (o.wrongType ?? 0);
      return total > 0 ? o.missing / total : null;
    }
    case 'wrong_type_share': {
      if (o.wrongType === undefined) return undefined;
      const total = o.n + o.missing + o.wrongType;
      return total > 0 ? o.wrongType / total : null;
    }
    case 'unseen_share':
      if (o.unseen === null) return undefined;
      return o.n > 0 ? o.unseen / o.n : null;
    case 'out_of_range_share':
      return shareOf(o.outOfRange, o.n);
    case 'out_of_quantile_share':
      return shareOf(o.outOfQuantiles, o.n);
    default:
      return o.measures === undefined ? undefined : o.measures[statistic];
  }
}

/** Values a statistic counts (the shares of a feature's events: every event, missing or not). */
export const samplesOf = (statistic: RuleStatistic, o: DriftObservation): number =>
  statistic === 'missing_share' || statistic === 'wrong_type_share'
    ? o.n + o.missing + (o.wrongType ?? 0)
    : o.n;

/** A count's share of the window's values: absent series stay absent, unknown counts null. */
function shareOf(count: number | null | undefined, n: number): number | null | undefined {
  if (count === undefined) return undefined;
  return count !== null && n > 0 ? count / n : null;
}

/** `value op threshold`: whether the condition holds. */
export function compare(op: Operator, value: number, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
  }
}

export const breaches = (rule: AlertRule, value: number): boolean =>
  compare(rule.op, value, rule.threshold);

/** Back past the recover threshold: the condition with it no longer holds. */
export const recovered = (rule: AlertRule, value: number): boolean =>
  !compare(rule.op, value, rule.recoverThreshold);

export function severityFor(rule: AlertRule, value: number | null): Severity {
  if (rule.escalate && value !== null && compare(rule.op, value, rule.escalate.threshold)) {
    return rule.escalate.severity;
  }
  return rule.severity;
}

/** Windows a count-or-duration setting stands for, for a series of this window length. */
export function windowsFor(setting: WindowsOrDuration, windowMs: number): number {
  if (typeof setting === 'number') return setting;
  return windowMs > 0 ? Math.ceil(setting.ms / windowMs) : 0;
}
