import { describe, expect, it } from 'vitest';
import { NumericAggregate } from '../../detectors/index.js';
import { statisticOf } from '../../alert-engine/rule.js';
import { toBaseline, type Baseline } from '../../src/baseline/baseline.js';
import { buildBaseline } from '../../src/baseline/build.js';
import { TAIL_QUANTILES } from '../../src/baseline/file-format.js';
import { toObservation } from '../../src/alerting/observation.js';
import { evaluateWindow, DEFAULT_WINDOW_DRIFT_SETTINGS } from '../../src/drift/window-points.js';
import type { WindowFeatureSummary } from '../../src/drift/window-points.js';
import { decodePartial, encodePartial } from '../../src/partials/codec.js';
import { toPoint } from '../support/to-point.js';
import { Window } from '../../src/windows/window.js';
import type { FeatureValue } from '../../src/prediction-log/prediction-log.js';

/** Training values 0, 1, …, 999: min 0, max 999, 0.1 % quantile 0.999, 99.9 % 998.001. */
function trainingFile() {
  return buildBaseline(
    { amount: Array.from({ length: 1_000 }, (_, i) => i), kind: ['a', 'b'] },
    { model: 'fraud', modelVersion: '3', sourceFile: 'train.csv', categorical: ['kind'] },
  );
}

const baseline = toBaseline(trainingFile(), 'abcdef0123456789', 'fraud/3.json');
const END = 60_000;

function windowOf(values: readonly FeatureValue[], of: Baseline = baseline, source = 0): Window {
  const window = new Window(of, 'fraud', '3', 0, END);
  values.forEach((amount, i) =>
    window.add(
      { model: 'fraud', model_version: '3', timestamp: i, features: { amount, kind: 'a' } },
      source,
      i,
    ),
  );
  return window;
}

function summaryOf(window: Window, feature = 'amount'): WindowFeatureSummary {
  const point = evaluateWindow(window, DEFAULT_WINDOW_DRIFT_SETTINGS).find(
    (p): p is WindowFeatureSummary => p.kind === 'summary' && p.feature === feature,
  );
  if (point === undefined) throw new Error(`no summary point for ${feature}`);
  return point;
}

describe('out-of-range values', () => {
  it('takes its bounds from the baseline: exact min and max, the 0.1 % and 99.9 % quantiles', () => {
    const reference = baseline.features.get('amount');
    expect(reference?.kind === 'numeric' && reference.range).toEqual({
      min: 0,
      max: 999,
      low: 0.999,
      high: 998.001,
    });
  });

  it('counts values beyond each bound, among finite values only', () => {
    const window = windowOf([-1, 0, 0.5, 500, 998.5, 999, 1_000, 2e6, null, NaN, Infinity, 'x']);
    expect(summaryOf(window)).toMatchObject({
      n: 8,
      belowMin: 1,
      aboveMax: 2,
      belowLow: 3,
      aboveHigh: 4,
    });
  });

  it('writes the counts as fields of the summary point, and rules read their share', () => {
    const summary = summaryOf(windowOf([-5, 1, 2, 3, 4, 5, 6, 7, 8, 1e4]));
    const line = toPoint(summary, 'drift').toLineProtocol() ?? '';
    expect(line).toMatch(/below_min=1i/);
    expect(line).toMatch(/above_max=1i/);
    expect(line).toMatch(/below_q001=1i/);
    expect(line).toMatch(/above_q999=1i/);
    const o = toObservation(summary);
    expect(statisticOf('out_of_range_share', o)).toBeCloseTo(0.2);
    expect(statisticOf('out_of_quantile_share', o)).toBeCloseTo(0.2);
    // A categorical feature has no training range: not such a rule's series at all.
    const kind = toObservation(summaryOf(windowOf([1]), 'kind'));
    expect(statisticOf('out_of_range_share', kind)).toBeUndefined();
  });

  it('a window inside the training range counts nothing', () => {
    const summary = summaryOf(windowOf(Array.from({ length: 199 }, (_, i) => 5 + 5 * i)));
    expect(summary).toMatchObject({ belowMin: 0, aboveMax: 0, belowLow: 0, aboveHigh: 0 });
    expect(statisticOf('out_of_range_share', toObservation(summary))).toBe(0);
  });

  it('adds exactly across partitions: partials encoded, decoded and merged', () => {
    const values = Array.from({ length: 3_000 }, (_, i) => ((i * 7919) % 1_200) - 100);
    const whole = windowOf(values);
    const lookup = () => baseline;
    const merged = windowOf([]);
    for (let source = 0; source < 3; source++) {
      const part = windowOf(
        values.filter((_, i) => i % 3 === source),
        baseline,
        source,
      );
      merged.merge(decodePartial(encodePartial(part, source), lookup).window);
    }
    const expected = summaryOf(whole);
    expect(expected.belowMin).toBeGreaterThan(0);
    expect(expected.aboveMax).toBeGreaterThan(0);
    expect(summaryOf(merged)).toMatchObject({
      belowMin: expected.belowMin,
      aboveMax: expected.aboveMax,
      belowLow: expected.belowLow,
      aboveHigh: expected.aboveHigh,
    });
  });

  it('an older-format partial still reads; the merged window then reports no counts', () => {
    const lookup = () => baseline;
    const old = decodePartial(encodePartial(windowOf([-1, 5]), 0, 3), lookup).window;
    expect(summaryOf(old).n).toBe(2);
    expect(summaryOf(old).belowMin).toBeUndefined();
    const merged = windowOf([1_000]);
    merged.merge(old);
    const summary = summaryOf(merged);
    expect(summary.n).toBe(3);
    // Too low a share would hide a unit change: unknown rather than wrong.
    expect(summary.belowMin).toBeUndefined();
    expect(statisticOf('out_of_range_share', toObservation(summary))).toBeUndefined();
  });

  it('a baseline file without the tail quantiles still loads: min/max counts only', () => {
    const file = trainingFile();
    const amount = file.features.amount;
    if (amount?.kind !== 'numeric') throw new Error('amount is numeric');
    amount.quantiles = amount.quantiles.filter((q) => !TAIL_QUANTILES.includes(q.q as never));
    const old = toBaseline(file, '0123456789abcdef', 'fraud/3.json');
    const summary = summaryOf(windowOf([-1, 0.5, 999.5], old));
    expect(summary).toMatchObject({ belowMin: 1, aboveMax: 1, belowLow: null, aboveHigh: null });
    const line = toPoint(summary, 'drift').toLineProtocol() ?? '';
    expect(line).not.toMatch(/below_q001/);
    expect(statisticOf('out_of_quantile_share', toObservation(summary))).toBeNull();
  });

  it('a format-1 baseline (no range) has no out-of-range counts', () => {
    const aggregate = new NumericAggregate({
      kind: 'numeric',
      cuts: Float64Array.of(0.5),
      binCounts: Float64Array.of(1, 1),
      count: 2,
      std: 0.5,
      sample: undefined,
    });
    aggregate.addAll([-10, 10]);
    expect(aggregate.outOfRangeSummary()).toBeUndefined();
    expect(aggregate.toState().outOfRange).toBeUndefined();
  });
});
