/**
 * Model-quality metrics against scikit-learn. Expected values come from
 * tests/fixtures/make_quality_reference.py (its header says how to regenerate
 * tests/fixtures/quality-reference.json). Each case is checked whole, and split in two windows
 * that are merged (panes, partitions): the merge must give the same metrics.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ClassificationQuality,
  MAX_QUALITY_CLASSES,
  OTHER_CLASS,
  RegressionQuality,
} from '../../detectors/index.js';

interface ClassificationCase {
  name: string;
  y_true: string[];
  y_pred: string[];
  scores?: number[];
  positive?: string;
  want: {
    accuracy: number;
    classes: { class: string; precision: number; recall: number; f1: number; support: number }[];
    macro: { precision: number; recall: number; f1: number };
    roc_auc?: number | null;
    log_loss?: number;
    calibration_error?: number;
  };
}

interface RegressionCase {
  name: string;
  y_true: number[];
  y_pred: number[];
  want: { mae: number; rmse: number; mape: number; bias: number };
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/quality-reference.json', import.meta.url), 'utf8'),
) as { classification: ClassificationCase[]; regression: RegressionCase[] };

/** Relative agreement: numpy sums pairwise, we sum in order, so the last bits may differ. */
function close(actual: number | null | undefined, want: number | null | undefined, tol = 1e-12) {
  if (want === null || want === undefined) return actual === null || actual === undefined;
  if (actual === null || actual === undefined) return false;
  return Math.abs(actual - want) <= tol * Math.max(1, Math.abs(want));
}

function classificationOf(c: ClassificationCase, from: number, to: number): ClassificationQuality {
  const q = new ClassificationQuality(
    c.positive === undefined ? {} : { positiveClass: c.positive },
  );
  for (let i = from; i < to; i++)
    q.add(c.y_true[i] as string, c.y_pred[i] as string, c.scores?.[i]);
  return q;
}

function checkClassification(q: ClassificationQuality, c: ClassificationCase): string[] {
  const m = q.metrics();
  const bad: string[] = [];
  if (!close(m.accuracy, c.want.accuracy)) bad.push(`accuracy ${m.accuracy} vs ${c.want.accuracy}`);
  if (m.classes.map((x) => x.class).join() !== c.want.classes.map((x) => x.class).join()) {
    bad.push(`classes ${m.classes.map((x) => x.class).join()}`);
  }
  c.want.classes.forEach((w, i) => {
    const a = m.classes[i];
    for (const key of ['precision', 'recall', 'f1', 'support'] as const) {
      if (!close(a?.[key], w[key])) bad.push(`${w.class} ${key} ${a?.[key]} vs ${w[key]}`);
    }
  });
  for (const key of ['precision', 'recall', 'f1'] as const) {
    if (!close(m.macro?.[key], c.want.macro[key])) bad.push(`macro ${key}`);
  }
  if (c.scores !== undefined) {
    if (!close(m.rocAuc, c.want.roc_auc)) bad.push(`roc_auc ${m.rocAuc} vs ${c.want.roc_auc}`);
    if (!close(m.logLoss, c.want.log_loss)) bad.push(`log_loss ${m.logLoss} vs ${c.want.log_loss}`);
    if (!close(m.calibrationError, c.want.calibration_error)) {
      bad.push(`calibration_error ${m.calibrationError} vs ${c.want.calibration_error}`);
    }
    if (m.scored !== c.scores.length) bad.push(`scored ${m.scored}`);
  }
  return bad.map((b) => `${c.name}: ${b}`);
}

describe('classification quality = scikit-learn', () => {
  it('accuracy, per-class and macro precision/recall/F1, ROC AUC, log loss, calibration error', () => {
    const bad = fixture.classification.flatMap((c) =>
      checkClassification(classificationOf(c, 0, c.y_true.length), c),
    );
    expect(bad).toEqual([]);
  });

  it('two windows merged give the metrics of the whole', () => {
    const bad = fixture.classification.flatMap((c) => {
      const half = Math.floor(c.y_true.length / 3);
      const merged = classificationOf(c, half, c.y_true.length);
      merged.merge(classificationOf(c, 0, half));
      return checkClassification(merged, c);
    });
    expect(bad).toEqual([]);
  });

  it('past the score cap the AUC is withheld, the other metrics stay', () => {
    const c = fixture.classification.find((x) => x.scores !== undefined) as ClassificationCase;
    const q = new ClassificationQuality({ positiveClass: c.positive ?? '', maxScores: 10 });
    for (let i = 0; i < c.y_true.length; i++) {
      q.add(c.y_true[i] as string, c.y_pred[i] as string, c.scores?.[i]);
    }
    const m = q.metrics();
    expect(m.rocAuc).toBeNull();
    expect(m.scoresCapped).toBe(true);
    expect(close(m.logLoss, c.want.log_loss)).toBe(true);
    expect(close(m.accuracy, c.want.accuracy)).toBe(true);
  });

  it('classes past the tracked number are pooled into one, counted whole', () => {
    const q = new ClassificationQuality();
    for (let i = 0; i < MAX_QUALITY_CLASSES + 50; i++) q.add(`c${i}`, `c${i}`);
    const m = q.metrics();
    expect(m.n).toBe(MAX_QUALITY_CLASSES + 50);
    expect(m.classes).toHaveLength(MAX_QUALITY_CLASSES);
    expect(m.classes.find((c) => c.class === OTHER_CLASS)?.support).toBe(51);
    expect(m.accuracy).toBe(1);
  });

  it('scores outside [0, 1] or missing are not scored; no labels means no metrics', () => {
    const q = new ClassificationQuality({ positiveClass: 'y' });
    expect(q.metrics()).toMatchObject({ n: 0, accuracy: null, macro: null, rocAuc: null });
    q.add('y', 'y', 1.5);
    q.add('n', 'y', Number.NaN);
    q.add('n', 'n', null);
    expect(q.metrics()).toMatchObject({ n: 3, scored: 0, logLoss: null, rocAuc: null });
  });
});

describe('regression quality = scikit-learn', () => {
  const regressionOf = (c: RegressionCase, from: number, to: number) => {
    const q = new RegressionQuality();
    for (let i = from; i < to; i++) q.add(c.y_true[i] as number, c.y_pred[i] as number);
    return q;
  };
  const check = (q: RegressionQuality, c: RegressionCase) => {
    const m = q.metrics();
    return (['mae', 'rmse', 'mape', 'bias'] as const)
      .filter((k) => !close(m[k], c.want[k]))
      .map((k) => `${c.name}: ${k} ${m[k]} vs ${c.want[k]}`);
  };

  it('MAE, RMSE, MAPE and bias, whole and merged', () => {
    const bad = fixture.regression.flatMap((c) => {
      const half = Math.floor(c.y_true.length / 2);
      const merged = regressionOf(c, 0, half);
      merged.merge(regressionOf(c, half, c.y_true.length));
      return [...check(regressionOf(c, 0, c.y_true.length), c), ...check(merged, c)];
    });
    expect(bad).toEqual([]);
  });

  it('non-finite labels or predictions are refused and not counted', () => {
    const q = new RegressionQuality();
    expect(q.add(Number.NaN, 1)).toBe(false);
    expect(q.add(1, Infinity)).toBe(false);
    expect(q.metrics()).toEqual({ n: 0, mae: null, rmse: null, mape: null, bias: null });
  });
});
