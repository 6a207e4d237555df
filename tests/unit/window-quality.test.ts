import { describe, expect, it } from 'vitest';
import { ClassificationQuality, RegressionQuality } from '../../detectors/index.js';
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
import { Window } from '../../src/windows/window.js';
import { engineOf, rule } from '../support/rules.js';
import { differences } from '../support/window-points.js';

const baseline = toBaseline(
  buildBaseline(
    { amount: Array.from({ length: 100 }, (_, i) => i) },
    { model: 'churn', modelVersion: '1', sourceFile: 'train.csv' },
  ),
  'abcdef0123456789',
  'churn/1.json',
);

const logOf = (
  i: number,
  prediction: PredictionLog['prediction'],
  label: unknown,
): PredictionLog => ({
  model: 'churn',
  model_version: '1',
  timestamp: i,
  features: { amount: i % 100 },
  prediction,
  label,
});

function windowOf(logs: readonly PredictionLog[], source = 0): Window {
  const w = new Window(baseline, 'churn', '1', 0, 60_000);
  logs.forEach((l, i) => w.add(l, source, i));
  return w;
}

const pointsOf = (w: Window) => evaluateWindow(w, DEFAULT_WINDOW_DRIFT_SETTINGS);
const qualityOf = (points: readonly WindowPoint[], method = 'quality', feature = '_model') => {
  const p = points.find(
    (x): x is WindowModelPoint =>
      x.kind === 'model' && x.method === method && x.feature === feature,
  );
  if (!p) throw new Error(`no ${method} point for ${feature}`);
  return p;
};

/** A binary classifier: the score of `true`, right about 80 % of the time. */
const BINARY = Array.from({ length: 500 }, (_, i) => {
  const truth = i % 3 === 0;
  const score = ((i * 37) % 100) / 100;
  const right = i % 5 !== 0;
  return logOf(
    i,
    right === truth ? Math.max(score, 0.5) : Math.min(score, 0.49),
    right ? true : truth,
  );
});

describe('model quality from inline labels', () => {
  it('scores a binary classifier from its score and a boolean label, as ClassificationQuality does', () => {
    const q = qualityOf(pointsOf(windowOf(BINARY)));
    const expected = new ClassificationQuality({ positiveClass: 'true' });
    for (const l of BINARY) {
      const score = l.prediction as number;
      expected.add(String(l.label), String(score >= 0.5), score);
    }
    const m = expected.metrics();
    expect(q.n).toBe(500);
    expect(q.ints).toMatchObject({ labelled: 500, unusable_labels: 0, scored: 500 });
    expect(q.floats).toMatchObject({
      label_coverage: 1,
      accuracy: m.accuracy,
      f1: m.macro?.f1,
      roc_auc: m.rocAuc,
      log_loss: m.logLoss,
      calibration_error: m.calibrationError,
    });
    expect(qualityOf(pointsOf(windowOf(BINARY)), 'quality_class', 'true').floats.f1).toBe(
      m.classes.find((c) => c.class === 'true')?.f1,
    );
  });

  it('takes the argmax of class probabilities; two classes give the later one a score', () => {
    const logs = [
      logOf(0, { stay: 0.7, leave: 0.3 }, 'stay'),
      logOf(1, { stay: 0.2, leave: 0.8 }, 'stay'),
      logOf(2, { stay: 0.4, leave: 0.6 }, 'leave'),
    ];
    const q = qualityOf(pointsOf(windowOf(logs)));
    expect(q.floats.accuracy).toBeCloseTo(2 / 3, 12);
    // Positive class "stay" (sorted last): scores 0.7 (stay), 0.2 (stay), 0.4 (leave).
    expect(q.floats.roc_auc).toBe(0.5);
  });

  it('measures a regressor, counts labels it cannot use and the coverage of labels', () => {
    const logs = [
      logOf(0, 10, 12),
      logOf(1, 5, 4),
      logOf(2, 3, 'three'),
      logOf(3, 7, undefined),
      logOf(4, 7, null),
    ];
    const q = qualityOf(pointsOf(windowOf(logs)));
    const expected = new RegressionQuality();
    expected.add(12, 10);
    expected.add(4, 5);
    const { mae, rmse, mape, bias } = expected.metrics();
    expect(q.floats).toMatchObject({ mae, rmse, mape, bias, label_coverage: 2 / 5 });
    expect(q.ints).toMatchObject({ labelled: 2, unusable_labels: 1 });
  });

  it('writes nothing without labels', () => {
    const points = pointsOf(windowOf([logOf(0, 0.3, undefined)]));
    expect(points.filter((p) => p.kind === 'model' && p.method.startsWith('quality'))).toEqual([]);
  });

  it('merges exactly across partitions: partials encoded, decoded and merged', () => {
    const regression = Array.from({ length: 90 }, (_, i) => logOf(i, i / 3, i / 2.9));
    const all = [...BINARY, ...regression];
    const whole = windowOf([]);
    const merged = windowOf([]);
    for (let source = 0; source < 3; source++) {
      const mine = all.filter((_, i) => i % 3 === source);
      whole.merge(windowOf(mine, source));
      merged.merge(
        decodePartial(encodePartial(windowOf(mine, source), source), () => baseline).window,
      );
    }
    expect(differences(pointsOf(whole), pointsOf(merged))).toEqual([]);
    expect(qualityOf(pointsOf(merged)).floats.mae).not.toBeNull();
  });

  it('a rule on f1 fires below its threshold with enough labelled predictions', () => {
    const observations = pointsOf(windowOf(BINARY)).map(toObservation);
    const fired = (when: string, minSamples: number) =>
      engineOf([rule({ when, match: { model: 'churn' }, min_samples: minSamples })])
        .evaluate(observations)
        .transitions.filter((t) => t.to === 'firing')
        .map((t) => `${t.method}/${t.feature}`);
    expect(fired('f1 < 0.99', 200)).toEqual(expect.arrayContaining(['quality/_model']));
    expect(fired('f1 < 0.99', 1_000)).toEqual([]);
    // Per-class points answer f1 rules too (matched by method quality_class).
    expect(fired('f1 < 0', 200)).toEqual([]);
  });
});
