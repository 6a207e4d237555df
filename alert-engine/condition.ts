import type { DriftObservation } from './model.js';
import {
  compare,
  gatedByMinSamples,
  samplesOf,
  statisticOf,
  type AlertRule,
  type Comparison,
  type RuleStatistic,
} from './rule.js';

/** The operator and threshold an alert reports when they are the point's, not the rule's. */
export interface Criterion {
  op: string;
  threshold: number;
}

/** What a rule reads from one point of a window. */
export interface ConditionReading {
  /** The reported value (the first comparison's; drifted: the point's statistic or p-value);
   * null when the window cannot decide (too few samples, no number). */
  value: number | null;
  samples: number;
  /**
   * Compound and drifted conditions: whether the condition holds (there is no hysteresis
   * band). Undefined for the plain comparison: its value against threshold and
   * recover_threshold decides.
   */
  holds: boolean | undefined;
  /** drifted: the decision's own operator and threshold (from the drift config). */
  criterion: Criterion | null;
  /** Why value is null. */
  insufficientReason: string;
}

/** A window's points by feature, window length and method: what `ks.p_value` reads. */
export type Siblings = ReadonlyMap<string, DriftObservation>;

export const siblingKey = (feature: string, window: string, method: string): string =>
  `${feature}\u0000${window}\u0000${method}`;

export function siblingsOf(points: readonly DriftObservation[]): Siblings {
  return new Map(points.map((o) => [siblingKey(o.feature, o.window, o.method), o]));
}

/** Whether the rule reads other points than the one it matched (`<method>.<statistic>`). */
export const readsSiblings = (rule: AlertRule): boolean =>
  rule.condition.kind === 'compare' && rule.condition.comparisons.some((c) => c.method);

const P_VALUE_METHODS: ReadonlySet<string> = new Set(['ks', 'chi_square']);

interface Operand {
  value: number | null;
  samples: number;
  enough: boolean;
  reason: string;
}

function operand(
  statistic: RuleStatistic,
  o: DriftObservation | undefined,
  minSamples: number,
  label: string,
): Operand | undefined {
  if (o === undefined) {
    return { value: null, samples: 0, enough: false, reason: `no ${label} point this window` };
  }
  const value = statisticOf(statistic, o);
  if (value === undefined) return undefined;
  const samples = samplesOf(statistic, o);
  // drift_share's n counts features (each already held to drift.minSamples); a volume rule
  // must see a window with few events.
  const enough =
    value !== null && o.status === 'ok' && (!gatedByMinSamples(statistic) || samples >= minSamples);
  const reason =
    value === null || o.status !== 'ok'
      ? `no value this window (${label}${o.status})`
      : `insufficient data: ${label}${samples} samples < min_samples ${minSamples}`;
  return { value: enough ? value : null, samples, enough, reason };
}

function readDrifted(o: DriftObservation): ConditionReading {
  // The decision compares p-value tests' (adjusted) p-value with α, distances' statistic.
  const pTest = P_VALUE_METHODS.has(o.method);
  const value = pTest ? (o.adjustedPValue ?? o.pValue) : o.statistic;
  const decided = o.status === 'ok' && value !== null;
  return {
    value: decided ? value : null,
    samples: o.n,
    holds: decided ? o.drifted : undefined,
    criterion: { op: pTest ? '<=' : '>=', threshold: o.threshold ?? 0 },
    insufficientReason: `no drift decision this window (${o.status})`,
  };
}

/**
 * The rule's reading of point `o`, or undefined when the point is not the rule's business (it
 * lacks a statistic the condition compares). A compound condition decides only when every
 * comparison has a number: otherwise the window is insufficient (see insufficient_data).
 */
export function readCondition(
  rule: AlertRule,
  o: DriftObservation,
  siblings: Siblings | undefined,
): ConditionReading | undefined {
  const condition = rule.condition;
  if (condition.kind === 'drifted') return readDrifted(o);
  const [first, ...rest] = condition.comparisons;
  if (first === undefined) return undefined;
  const read = (c: Comparison): Operand | undefined =>
    c.method === undefined
      ? operand(c.statistic, o, rule.minSamples, '')
      : operand(
          c.statistic,
          siblings?.get(siblingKey(o.feature, o.window, c.method)),
          rule.minSamples,
          `${c.method}: `,
        );
  const primary = read(first);
  if (primary === undefined) return undefined;
  if (rest.length === 0 && first.method === undefined) {
    return {
      value: primary.value,
      samples: primary.samples,
      holds: undefined,
      criterion: null,
      insufficientReason: primary.reason,
    };
  }
  const operands: Operand[] = [primary];
  for (const c of rest) {
    const x = read(c);
    if (x === undefined) return undefined;
    operands.push(x);
  }
  const missing = operands.find((x) => !x.enough);
  const holdsEach = condition.comparisons.map((c, i) => {
    const v = operands[i]?.value;
    return v !== null && v !== undefined && compare(c.op, v, c.threshold);
  });
  return {
    value: missing ? null : primary.value,
    samples: primary.samples,
    holds: missing
      ? undefined
      : condition.combine === 'all'
        ? holdsEach.every(Boolean)
        : holdsEach.some(Boolean),
    criterion: null,
    insufficientReason: missing?.reason ?? primary.reason,
  };
}
