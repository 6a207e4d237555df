import { ClassificationQuality, RegressionQuality } from '../../detectors/index.js';
import type { PredictionLog } from '../prediction-log/prediction-log.js';

/** The labelled predictions of one input partition's events in a window. */
export interface LabelledPredictions {
  classification: ClassificationQuality | null;
  regression: RegressionQuality | null;
  /** Labels present that could not be paired with the prediction (see WindowQuality). */
  unusable: number;
}

/**
 * Model quality from labels logged with the prediction (`label`), per window. What a pair
 * measures follows from its types: a predicted class (string or boolean) or a map of class
 * probabilities (its argmax is the predicted class; with two classes the later one in sorted
 * order is the positive class and its probability the score) is classification; a numeric
 * prediction with a boolean label is a binary classifier's score for `true` (predicted `true`
 * at 0.5 or more); a numeric prediction with a numeric label is regression. Anything else —
 * no prediction, a text label for a numeric prediction — counts as unusable.
 *
 * Kept per input partition and combined in ascending partition order, so the float sums are
 * the same however partitions interleave or partials are merged.
 */
export class WindowQuality {
  readonly partitions = new Map<number, LabelledPredictions>();

  add(log: PredictionLog, partition: number): void {
    const label = log.label;
    if (label === undefined || label === null) return;
    addLabelled(this.of(partition), readPrediction(log.prediction), label);
  }

  merge(other: WindowQuality): void {
    for (const [partition, theirs] of other.partitions) {
      const mine = this.of(partition);
      if (theirs.classification) {
        if (mine.classification) mine.classification.merge(theirs.classification);
        else mine.classification = copyClassification(theirs.classification);
      }
      if (theirs.regression) {
        (mine.regression ??= new RegressionQuality()).merge(theirs.regression);
      }
      mine.unusable += theirs.unusable;
    }
  }

  /** Every partition's labelled predictions combined, in ascending partition order. */
  combined(): LabelledPredictions {
    const out: LabelledPredictions = { classification: null, regression: null, unusable: 0 };
    for (const p of [...this.partitions.keys()].sort((a, b) => a - b)) {
      const part = this.partitions.get(p);
      if (!part) continue;
      if (part.classification) {
        if (out.classification) out.classification.merge(part.classification);
        else out.classification = copyClassification(part.classification);
      }
      if (part.regression) (out.regression ??= new RegressionQuality()).merge(part.regression);
      out.unusable += part.unusable;
    }
    return out;
  }

  /** The labelled predictions of `partition` (created empty). */
  of(partition: number): LabelledPredictions {
    let part = this.partitions.get(partition);
    if (!part) {
      part = { classification: null, regression: null, unusable: 0 };
      this.partitions.set(partition, part);
    }
    return part;
  }
}

/**
 * What a prediction says for quality, read once (a delayed label pairs with it later):
 * `predicted` a class (with, for a two-class probability map, the `positive` class and its
 * probability `score`) or a number (a regression value, or a binary classifier's score for
 * `true` when the label is a boolean); undefined when it cannot be paired with any label.
 */
export interface QualityPrediction {
  predicted: string | number;
  score: number | null;
  positive: string | undefined;
}

export function readPrediction(prediction: unknown): QualityPrediction | undefined {
  if (typeof prediction === 'string' || typeof prediction === 'boolean') {
    return { predicted: String(prediction), score: null, positive: undefined };
  }
  if (typeof prediction === 'number') {
    return Number.isFinite(prediction)
      ? { predicted: prediction, score: null, positive: undefined }
      : undefined;
  }
  if (prediction === null || typeof prediction !== 'object') return undefined;
  const probabilities = prediction as Record<string, number>;
  const classes = Object.keys(probabilities).sort();
  const predicted = argmax(probabilities, classes);
  if (predicted === undefined) return undefined;
  const positive = classes.length === 2 ? classes[1] : undefined;
  return {
    predicted,
    score: positive === undefined ? null : (probabilities[positive] as number),
    positive,
  };
}

/**
 * Pairs a prediction (readPrediction) with its label, in `into`: the one place both the inline
 * and the delayed labels are measured. A pair its types cannot measure counts as unusable.
 */
export function addLabelled(
  into: LabelledPredictions,
  p: QualityPrediction | undefined,
  label: unknown,
): void {
  if (p === undefined) {
    into.unusable++;
  } else if (typeof p.predicted === 'string') {
    if (!isClassLabel(label)) into.unusable++;
    else if (p.positive === undefined) classification(into).add(String(label), p.predicted);
    else {
      classification(into, p.positive).add(String(label), p.predicted, p.score ?? undefined);
    }
  } else {
    const value = p.predicted;
    if (typeof label === 'boolean' && value >= 0 && value <= 1) {
      classification(into, 'true').add(String(label), String(value >= 0.5), value);
    } else if (typeof label === 'number' && Number.isFinite(label)) {
      if (!(into.regression ??= new RegressionQuality()).add(label, value)) into.unusable++;
    } else into.unusable++;
  }
}

const isClassLabel = (v: unknown): v is string | boolean | number =>
  typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

/** The window's classifier tally; the positive class is fixed by the first scored pair. */
function classification(into: LabelledPredictions, positive?: string): ClassificationQuality {
  into.classification ??= new ClassificationQuality(
    positive === undefined ? {} : { positiveClass: positive },
  );
  return into.classification;
}

const copyClassification = (q: ClassificationQuality) =>
  ClassificationQuality.fromState(q.toState());

function argmax(probabilities: Record<string, number>, sorted: readonly string[]) {
  let best: string | undefined;
  for (const c of sorted) {
    const p = probabilities[c];
    if (p === undefined || !Number.isFinite(p)) return undefined;
    if (best === undefined || p > (probabilities[best] as number)) best = c;
  }
  return best;
}
