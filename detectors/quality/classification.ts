import { rocAucSorted, ScoreList } from './scores.js';

/** Equal-width probability bins of the calibration error, as scikit-learn's calibration_curve. */
export const CALIBRATION_BINS = 10;

/**
 * Probabilities are clipped to [ε, 1 − ε] before the logarithm, ε the float64 machine epsilon,
 * as scikit-learn's log_loss does since 1.5 (a confident wrong answer costs 36 nats, not ∞).
 */
const LOG_LOSS_EPS = 2 ** -52;

/** Distinct classes tracked by name; labels beyond them are pooled (their metrics are not). */
export const MAX_QUALITY_CLASSES = 256;
/** The pooled class of labels past MAX_QUALITY_CLASSES. */
export const OTHER_CLASS = '__other__';

/** Scores kept per window for an exact ROC AUC (8 bytes each); past it, no AUC for the window. */
export const DEFAULT_MAX_SCORES = 1_000_000;

export interface ClassQuality {
  class: string;
  /** Labelled predictions whose true class is this one. */
  support: number;
  precision: number;
  recall: number;
  f1: number;
}

/** Everything a ClassificationQuality holds, to carry it between replicas (partials). */
export interface ClassificationQualityState {
  positiveClass: string | undefined;
  classNames: readonly string[];
  /** k × k, row = true class, column = predicted class. */
  confusion: Float64Array;
  n: number;
  positiveScores: Float64Array;
  negativeScores: Float64Array;
  logLossSum: number;
  binCount: Float64Array;
  binPositives: Float64Array;
  binScoreSum: Float64Array;
  scoresCapped: boolean;
}

export interface ClassificationMetrics {
  /** Labelled predictions. */
  n: number;
  accuracy: number | null;
  /** Classes in sorted order (true or predicted in the window), as scikit-learn lists them. */
  classes: ClassQuality[];
  /** Unweighted means over `classes`. */
  macro: { precision: number; recall: number; f1: number } | null;
  /** Labelled predictions with a score for the positive class. */
  scored: number;
  /** Binary, from the scores; null without both classes among the scored. */
  rocAuc: number | null;
  logLoss: number | null;
  /** Expected calibration error over CALIBRATION_BINS equal-width bins of the score. */
  calibrationError: number | null;
  /** The AUC is null because the window held more scores than the cap. */
  scoresCapped: boolean;
}

/**
 * The labelled predictions of one window, for a classifier: confusion counts per (true,
 * predicted) class, and for a binary model the positive-class scores (ROC AUC exactly, log
 * loss, calibration bins). Mergeable (panes, partitions): counts add; the scores are a
 * multiset, so their order does not matter; the float sums (log loss, bin score sums) add, so
 * merge in a fixed order where bit-identical results matter.
 *
 * Definitions follow scikit-learn (tests/fixtures/quality-reference.json): precision, recall
 * and F1 with zero_division = 0, macro over the sorted union of true and predicted classes,
 * roc_auc_score, log_loss with ε clipping, calibration_curve's uniform bins.
 */
export class ClassificationQuality {
  readonly positiveClass: string | undefined;
  private readonly maxScores: number;
  private readonly classIndex = new Map<string, number>();
  private readonly classNames: string[] = [];
  /** k × k, row = true class, column = predicted class; grown as classes appear. */
  private confusion = new Float64Array(0);
  private k = 0;
  n = 0;
  private positiveScores = new ScoreList();
  private negativeScores = new ScoreList();
  private logLossSum = 0;
  private readonly binCount = new Float64Array(CALIBRATION_BINS);
  private readonly binPositives = new Float64Array(CALIBRATION_BINS);
  private readonly binScoreSum = new Float64Array(CALIBRATION_BINS);
  private scoresCapped = false;

  constructor(options: { positiveClass?: string; maxScores?: number } = {}) {
    this.positiveClass = options.positiveClass;
    this.maxScores = options.maxScores ?? DEFAULT_MAX_SCORES;
  }

  /**
   * One labelled prediction. `score`: the model's probability of `positiveClass` (binary
   * models), in [0, 1]; anything else is not scored.
   */
  add(label: string, predicted: string, score?: number | null): void {
    const t = this.indexOf(label);
    const p = this.indexOf(predicted);
    const cell = t * this.k + p;
    this.confusion[cell] = (this.confusion[cell] as number) + 1;
    this.n++;
    if (this.positiveClass === undefined || score === null || score === undefined) return;
    if (!(score >= 0 && score <= 1)) return;
    const positive = label === this.positiveClass;
    if (this.positiveScores.length + this.negativeScores.length >= this.maxScores) {
      this.scoresCapped = true;
    } else {
      (positive ? this.positiveScores : this.negativeScores).push(score);
    }
    const clipped = Math.min(Math.max(score, LOG_LOSS_EPS), 1 - LOG_LOSS_EPS);
    this.logLossSum -= positive ? Math.log(clipped) : Math.log(1 - clipped);
    const bin = calibrationBin(score);
    this.binCount[bin] = (this.binCount[bin] as number) + 1;
    if (positive) this.binPositives[bin] = (this.binPositives[bin] as number) + 1;
    this.binScoreSum[bin] = (this.binScoreSum[bin] as number) + score;
  }

  /** Adds another window's labelled predictions (same model, same positive class). */
  merge(other: ClassificationQuality): void {
    for (let t = 0; t < other.k; t++) {
      const ti = this.indexOf(other.classNames[t] as string);
      for (let p = 0; p < other.k; p++) {
        const count = other.confusion[t * other.k + p] as number;
        if (count === 0) continue;
        const cell = ti * this.k + this.indexOf(other.classNames[p] as string);
        this.confusion[cell] = (this.confusion[cell] as number) + count;
      }
    }
    this.n += other.n;
    const room = this.maxScores - this.positiveScores.length - this.negativeScores.length;
    if (other.scoresCapped || other.positiveScores.length + other.negativeScores.length > room) {
      this.scoresCapped = true;
    } else {
      this.positiveScores.append(other.positiveScores);
      this.negativeScores.append(other.negativeScores);
    }
    this.logLossSum += other.logLossSum;
    for (let b = 0; b < CALIBRATION_BINS; b++) {
      this.binCount[b] = (this.binCount[b] as number) + (other.binCount[b] as number);
      this.binPositives[b] = (this.binPositives[b] as number) + (other.binPositives[b] as number);
      this.binScoreSum[b] = (this.binScoreSum[b] as number) + (other.binScoreSum[b] as number);
    }
  }

  toState(): ClassificationQualityState {
    return {
      positiveClass: this.positiveClass,
      classNames: [...this.classNames],
      confusion: Float64Array.from(this.confusion),
      n: this.n,
      positiveScores: Float64Array.from(this.positiveScores.view()),
      negativeScores: Float64Array.from(this.negativeScores.view()),
      logLossSum: this.logLossSum,
      binCount: Float64Array.from(this.binCount),
      binPositives: Float64Array.from(this.binPositives),
      binScoreSum: Float64Array.from(this.binScoreSum),
      scoresCapped: this.scoresCapped,
    };
  }

  /** Throws RangeError when the state does not hold together (a corrupt record). */
  static fromState(state: ClassificationQualityState, maxScores?: number): ClassificationQuality {
    const k = state.classNames.length;
    const bins = [state.binCount, state.binPositives, state.binScoreSum];
    if (
      state.confusion.length !== k * k ||
      k > MAX_QUALITY_CLASSES ||
      new Set(state.classNames).size !== k ||
      bins.some((b) => b.length !== CALIBRATION_BINS)
    ) {
      throw new RangeError(
        `ClassificationQuality state: ${k} classes, ${state.confusion.length} cells`,
      );
    }
    const q = new ClassificationQuality({
      ...(state.positiveClass === undefined ? {} : { positiveClass: state.positiveClass }),
      ...(maxScores === undefined ? {} : { maxScores }),
    });
    state.classNames.forEach((name, i) => q.classIndex.set(name, i));
    q.classNames.push(...state.classNames);
    q.k = k;
    q.confusion = Float64Array.from(state.confusion);
    q.n = state.n;
    q.positiveScores = ScoreList.of(state.positiveScores);
    q.negativeScores = ScoreList.of(state.negativeScores);
    q.logLossSum = state.logLossSum;
    q.binCount.set(state.binCount);
    q.binPositives.set(state.binPositives);
    q.binScoreSum.set(state.binScoreSum);
    q.scoresCapped = state.scoresCapped;
    return q;
  }

  private indexOf(cls: string): number {
    let i = this.classIndex.get(cls);
    if (i !== undefined) return i;
    // The last slot is kept for the pooled class, so pooling never recurses.
    if (this.k >= MAX_QUALITY_CLASSES - 1 && cls !== OTHER_CLASS) return this.indexOf(OTHER_CLASS);
    i = this.k;
    this.classIndex.set(cls, i);
    this.classNames.push(cls);
    const k = this.k + 1;
    const grown = new Float64Array(k * k);
    for (let r = 0; r < this.k; r++) {
      grown.set(this.confusion.subarray(r * this.k, (r + 1) * this.k), r * k);
    }
    this.confusion = grown;
    this.k = k;
    return i;
  }

  metrics(): ClassificationMetrics {
    const k = this.k;
    const order = this.classNames
      .map((name, i) => ({ name, i }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    let correct = 0;
    const classes: ClassQuality[] = [];
    for (const { name, i } of order) {
      const tp = this.confusion[i * k + i] as number;
      correct += tp;
      let support = 0;
      let predicted = 0;
      for (let j = 0; j < k; j++) {
        support += this.confusion[i * k + j] as number;
        predicted += this.confusion[j * k + i] as number;
      }
      const fp = predicted - tp;
      const fn = support - tp;
      classes.push({
        class: name,
        support,
        precision: predicted > 0 ? tp / predicted : 0,
        recall: support > 0 ? tp / support : 0,
        f1: 2 * tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : 0,
      });
    }
    const mean = (pick: (c: ClassQuality) => number) =>
      classes.reduce((s, c) => s + pick(c), 0) / classes.length;
    const scored = this.binCount.reduce((s, c) => s + c, 0);
    return {
      n: this.n,
      accuracy: this.n > 0 ? correct / this.n : null,
      classes,
      macro:
        classes.length > 0
          ? {
              precision: mean((c) => c.precision),
              recall: mean((c) => c.recall),
              f1: mean((c) => c.f1),
            }
          : null,
      scored,
      rocAuc: this.scoresCapped
        ? null
        : rocAucSorted(this.positiveScores.sorted(), this.negativeScores.sorted()),
      logLoss: scored > 0 ? this.logLossSum / scored : null,
      calibrationError: scored > 0 ? this.calibrationError(scored) : null,
      scoresCapped: this.scoresCapped,
    };
  }

  /** Σ over non-empty bins of (bin count ÷ n) · |share of positives − mean score|. */
  private calibrationError(scored: number): number {
    let ece = 0;
    for (let b = 0; b < CALIBRATION_BINS; b++) {
      const count = this.binCount[b] as number;
      if (count === 0) continue;
      const gap =
        (this.binPositives[b] as number) / count - (this.binScoreSum[b] as number) / count;
      ece += (count / scored) * Math.abs(gap);
    }
    return ece;
  }
}

/**
 * calibration_curve's bin: edges i/10 as numpy's linspace(0, 1, 11) makes them (i · 0.1), a
 * score on an interior edge in the bin below it (searchsorted, side left).
 */
function calibrationBin(score: number): number {
  let bin = 0;
  while (bin < CALIBRATION_BINS - 1 && score > (bin + 1) * (1 / CALIBRATION_BINS)) bin++;
  return bin;
}
