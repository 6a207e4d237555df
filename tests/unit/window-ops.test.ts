import { describe, expect, it } from 'vitest';
import { statisticOf } from '../../alert-engine/rule.js';
import type { DriftObservation } from '../../alert-engine/model.js';
import { toBaseline } from '../../src/baseline/baseline.js';
import { buildBaseline } from '../../src/baseline/build.js';
import { toObservation } from '../../src/alerting/observation.js';
import type { WindowModelPoint } from '../../src/drift/model-points.js';
import {
  DEFAULT_WINDOW_DRIFT_SETTINGS,
  evaluateWindow,
  type WindowPoint,
} from '../../src/drift/window-points.js';
import { decodePartial, encodePartial } from '../../src/partials/codec.js';
import type { PredictionLog } from '../../src/prediction-log/prediction-log.js';
import { toPoint } from '../support/to-point.js';
import { observationFromRow } from '../../src/tools/backtest-source.js';
import { MAX_NEW_FEATURE_NAMES } from '../../src/windows/window-ops.js';
import { Window } from '../../src/windows/window.js';
import { compileText, engineOf, rule, rulesText } from '../support/rules.js';
import { differences } from '../support/window-points.js';

const baseline = toBaseline(
  buildBaseline(
    {
      amount: Array.from({ length: 1_000 }, (_, i) => i),
      age: Array.from({ length: 1_000 }, (_, i) => i % 90),
      kind: ['a', 'b'],
    },
    { model: 'fraud', modelVersion: '3', sourceFile: 'train.csv', categorical: ['kind'] },
  ),
  'abcdef0123456789',
  'fraud/3.json',
);
const END = 60_000;

/** Event i: latency i ms, an error every 10th, class "yes" for odd i, "amount" as text every 20th. */
function eventOf(i: number): PredictionLog {
  const features: PredictionLog['features'] = {
    amount: i % 20 === 0 ? 'n/a' : i,
    kind: 'a',
  };
  if (i % 50 === 0) features.new_signal = 1;
  return {
    model: 'fraud',
    model_version: '3',
    timestamp: i,
    features,
    prediction: i % 2 ? 'yes' : 'no',
    latency_ms: i,
    error: i % 10 === 0 ? 'timeout' : undefined,
  };
}

function windowOf(events: readonly PredictionLog[], source = 0): Window {
  const window = new Window(baseline, 'fraud', '3', 0, END);
  events.forEach((e, i) => window.add(e, source, i));
  return window;
}

const modelPoint = (points: readonly WindowPoint[], method: string, feature?: string) => {
  const p = points.find(
    (x): x is WindowModelPoint =>
      x.kind === 'model' && x.method === method && (feature === undefined || x.feature === feature),
  );
  if (!p) throw new Error(`no ${method} point`);
  return p;
};

const EVENTS = Array.from({ length: 1_000 }, (_, i) => eventOf(i));

describe('ops and schema points of a window', () => {
  const points = evaluateWindow(windowOf(EVENTS), DEFAULT_WINDOW_DRIFT_SETTINGS);

  it('counts events, their rate and errors; latency quantiles within the sketch bound', () => {
    const ops = modelPoint(points, 'ops', '_model');
    expect(ops.ints).toMatchObject({ events: 1_000, errors: 100, latency_count: 1_000 });
    expect(ops.floats.events_per_second).toBeCloseTo(1_000 / 60, 12);
    expect(ops.floats.error_share).toBeCloseTo(0.1, 12);
    // Latencies 0…999: numpy's lower quantile is ⌊q·999⌋.
    for (const [name, q] of [
      ['latency_p50', 0.5],
      ['latency_p90', 0.9],
      ['latency_p99', 0.99],
    ] as const) {
      const exact = Math.floor(q * 999);
      const got = ops.floats[name] ?? NaN;
      expect(Math.abs(got - exact) / exact).toBeLessThanOrEqual(0.01);
    }
    expect(ops.floats.latency_max).toBe(999);
  });

  it('shares predictions per class', () => {
    expect(modelPoint(points, 'prediction_class', 'yes').floats.class_share).toBe(0.5);
    expect(modelPoint(points, 'prediction_class', 'no').ints.count).toBe(500);
  });

  it('counts wrong types apart from missing, names missing and new features', () => {
    const amount = points.find((p) => p.kind === 'summary' && p.feature === 'amount');
    expect(amount).toMatchObject({ n: 950, missing: 0, wrongType: 50 });
    const schema = modelPoint(points, 'schema');
    expect(schema.ints).toMatchObject({
      missing_features: 1,
      wrong_type_features: 1,
      wrong_type: 50,
      new_features: 1,
    });
    expect(schema.strings).toMatchObject({
      missing_feature_names: 'age',
      wrong_type_feature_names: 'amount',
      new_feature_names: 'new_signal',
    });
    expect(modelPoint(points, 'new_feature', 'new_signal').ints.events).toBe(20);
  });

  it('bounds the new names it tracks, counting the rest', () => {
    const many = Array.from({ length: 30 }, (_, i) => ({
      ...eventOf(1),
      features: { amount: 1, kind: 'a', [`extra_${String(i).padStart(2, '0')}`]: 1 },
    }));
    const schema = modelPoint(
      evaluateWindow(windowOf(many), DEFAULT_WINDOW_DRIFT_SETTINGS),
      'schema',
    );
    expect(schema.ints.new_features).toBe(MAX_NEW_FEATURE_NAMES);
    expect(schema.ints.new_feature_other).toBe(30 - MAX_NEW_FEATURE_NAMES);
  });

  it('keeps the same names past the bound whatever order partitions merge in', () => {
    const part = (source: number) =>
      windowOf(
        Array.from({ length: 30 }, (_, i) => ({
          ...eventOf(1),
          features: {
            amount: 1,
            kind: 'a',
            [`x_${String((i * 7 + source * 13) % 40).padStart(2, '0')}`]: 1,
          },
          prediction: `class_${String((i * 11 + source * 5) % 70).padStart(2, '0')}`,
        })),
        source,
      );
    const forward = windowOf([]);
    const backward = windowOf([]);
    for (const s of [0, 1, 2]) forward.merge(part(s));
    for (const s of [2, 1, 0]) backward.merge(part(s));
    expect([...backward.ops.newFeatures].sort()).toEqual([...forward.ops.newFeatures].sort());
    expect(backward.ops.otherNewFeatures).toBe(forward.ops.otherNewFeatures);
    expect([...backward.ops.classes].sort()).toEqual([...forward.ops.classes].sort());
    expect(backward.ops.otherClasses).toBe(forward.ops.otherClasses);
    expect(forward.ops.newFeatures.size).toBe(MAX_NEW_FEATURE_NAMES);
    expect([...forward.ops.newFeatures.keys()].sort().at(-1)).toBe('x_19');
  });

  it('merges exactly across partitions: partials encoded, decoded and merged', () => {
    const numeric = EVENTS.map((e, i) => ({ ...e, prediction: i / 7 }));
    const whole = windowOf([]);
    const merged = windowOf([]);
    for (let source = 0; source < 3; source++) {
      const part = windowOf(
        numeric.filter((_, i) => i % 3 === source),
        source,
      );
      whole.merge(
        windowOf(
          numeric.filter((_, i) => i % 3 === source),
          source,
        ),
      );
      merged.merge(decodePartial(encodePartial(part, source), () => baseline).window);
    }
    const expected = evaluateWindow(whole, DEFAULT_WINDOW_DRIFT_SETTINGS);
    expect(differences(expected, evaluateWindow(merged, DEFAULT_WINDOW_DRIFT_SETTINGS))).toEqual(
      [],
    );
    const ops = modelPoint(expected, 'ops');
    expect(ops.floats.prediction_mean).toBeCloseTo(999 / 2 / 7, 9);
  });

  it('a window merged with an older-format partial writes no ops or schema points', () => {
    const old = decodePartial(encodePartial(windowOf(EVENTS.slice(0, 10)), 1, 4), () => baseline);
    const window = windowOf(EVENTS.slice(10));
    window.merge(old.window);
    const after = evaluateWindow(window, DEFAULT_WINDOW_DRIFT_SETTINGS);
    expect(after.filter((p) => p.kind === 'model')).toEqual([]);
  });
});

describe('rules on ops and schema points', () => {
  const points = evaluateWindow(windowOf(EVENTS.slice(0, 40)), DEFAULT_WINDOW_DRIFT_SETTINGS);
  const observations = points.map(toObservation);

  it('the backtest reads back from InfluxDB what the daemon read live', () => {
    // A second window with 20 new names: the schema point's longest name list.
    const wide = Array.from({ length: 30 }, (_, i) => ({
      ...eventOf(1),
      features: { amount: 1, kind: 'a', [`extra_${String(i).padStart(2, '0')}`]: 1 },
    }));
    const widePoints = evaluateWindow(windowOf(wide), DEFAULT_WINDOW_DRIFT_SETTINGS);
    const readBack = (p: WindowPoint) => {
      const line = toPoint(p, 'drift').toLineProtocol() ?? '';
      const row: Record<string, unknown> = { _time: p.windowEnd };
      const [head = '', fields = ''] = line.split(' ');
      for (const tag of head.split(',').slice(1)) {
        const [k = '', v = ''] = tag.split('=');
        row[k] = v;
      }
      // Commas inside a quoted name list are not field separators (no `name=` follows them).
      for (const field of fields.split(/,(?=[a-z_0-9]+=)/)) {
        const [k = '', v = ''] = field.split(/=(.*)/s);
        row[k] = v.startsWith('"') ? v.slice(1, -1) : Number(v.replace(/i$/, ''));
      }
      return observationFromRow(row);
    };
    for (const p of [...points, ...widePoints].filter(
      (x) => x.kind === 'model' || x.kind === 'summary',
    )) {
      expect(readBack(p)).toEqual(toObservation(p));
    }
    // The name lists are what travels, not only the counts.
    const schema = observations.find((o) => o.method === 'schema');
    expect(schema?.details).toEqual({
      missing_feature_names: 'age',
      wrong_type_feature_names: 'amount',
      new_feature_names: 'new_signal',
    });
    const wideSchema = readBack(modelPoint(widePoints, 'schema'));
    expect(wideSchema?.details?.new_feature_names?.split(',')).toHaveLength(MAX_NEW_FEATURE_NAMES);
    expect(wideSchema?.details?.missing_feature_names).toBe('age');
    // Other points carry no text fields: their observations are as before.
    expect(observations.find((o) => o.method === 'ops')).not.toHaveProperty('details');
  });

  it('a volume rule sees a window below min_samples; latency, errors and schema rules fire', () => {
    const fired = (when: string, match: Record<string, unknown> = {}, minSamples = 100) => {
      const engine = engineOf([
        rule({ when, match: { model: 'fraud', ...match }, min_samples: minSamples }),
      ]);
      return engine.evaluate(observations).transitions.some((t) => t.to === 'firing');
    };
    expect(fired('events < 100')).toBe(true);
    expect(fired('events < 10')).toBe(false);
    // Quantiles and shares are held to min_samples (events): 40 are not enough by default.
    expect(fired('latency_p99 > 30')).toBe(false);
    expect(fired('latency_p99 > 30', {}, 10)).toBe(true);
    expect(fired('latency_p99 > 40', {}, 10)).toBe(false);
    expect(fired('error_share >= 0.1', {}, 10)).toBe(true);
    expect(fired('wrong_type_share > 0.01', { feature: 'amount' })).toBe(false); // 2 of 40 < min_samples
    expect(fired('new_features > 0')).toBe(true);
    expect(fired('missing_features >= 1')).toBe(true);
    const anyChange = { any: ['new_features > 0', 'missing_features > 0'] };
    const engine = engineOf([rule({ when: anyChange, match: { model: 'fraud' } })]);
    expect(engine.evaluate(observations).transitions.map((t) => t.method)).toEqual(['schema']);
    expect(fired('class_share > 0.4', { feature: 'yes' })).toBe(false); // 40 < min_samples
    expect(fired('class_share > 0.4', { feature: 'yes' }, 10)).toBe(true);
    expect(fired('wrong_type_share > 0.01', { feature: 'amount' }, 10)).toBe(true);
  });

  it('statistics read only their own points', () => {
    const ops = observations.find((o) => o.method === 'ops') as DriftObservation;
    expect(statisticOf('events', ops)).toBe(40);
    const psi = observations.find((o) => o.method === 'psi') as DriftObservation;
    expect(statisticOf('latency_p99', psi)).toBeUndefined();
    const loaded = compileText(rulesText([rule({ when: 'value > 0.25', match: {} })]));
    const engine = engineOf([rule({ when: 'value > -1', match: {} })]);
    expect(loaded.rules[0]?.match.method('ops')).toBe(true);
    // A value rule over every method never compares the ops, schema or class points.
    const fired = engine.evaluate(observations).transitions.filter((t) => t.to === 'firing');
    expect(new Set(fired.map((t) => t.method))).not.toContain('ops');
  });
});
