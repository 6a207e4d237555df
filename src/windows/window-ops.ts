import { QuantileSketch } from '../../detectors/quantile-sketch.js';
import { hasControlCharacter, LIMITS, shortenedCategory } from '../prediction-log/limits.js';

/** Prediction classes tracked by name per window; the rest are counted as one. */
export const MAX_TRACKED_CLASSES = 50;
/** Names of features outside the baseline tracked per window; the rest are counted. */
export const MAX_NEW_FEATURE_NAMES = 20;

/**
 * What a window says about the model's operation and its input's shape, beside the drift of
 * each feature: errors, latency, predictions (classes or a numeric summary), values of the
 * wrong type per baseline feature, and features the baseline does not know. Mergeable like
 * the aggregates: counts add, the latency sketch merges order-free, bounded maps keep the
 * first names in merge order — partials merge in a fixed order, so every replica agrees.
 */
export class WindowOps {
  /**
   * False once a partial of an older format (no ops) was merged in: the counts then miss that
   * partition's events, and the window writes no ops or schema points rather than low ones.
   */
  known = true;
  errors = 0;
  /**
   * Events of this model version that arrived after their own window had closed (late) or
   * were dead-lettered for a timestamp too far ahead, counted in its oldest open window.
   */
  lateEvents = 0;
  futureEvents = 0;
  /** Events whose latency field was present but not a non-negative number. */
  latencyInvalid = 0;
  latency: QuantileSketch | null = null;
  /** Predictions by class (a string or boolean prediction). */
  readonly classes = new Map<string, number>();
  /** Predictions of classes past MAX_TRACKED_CLASSES. */
  otherClasses = 0;
  /** Numeric predictions: count, sums per input partition (see predictionSum), min, max. */
  numericPredictions = 0;
  readonly predictionSums = new Map<number, number>();
  predictionMin = Infinity;
  predictionMax = -Infinity;
  /** Per baseline feature (its order): values present with a type the feature cannot take. */
  readonly wrongType: Uint32Array;
  /** Feature names not in the baseline → events carrying them. */
  readonly newFeatures = new Map<string, number>();
  /** Occurrences of new names past MAX_NEW_FEATURE_NAMES. */
  otherNewFeatures = 0;

  constructor(features: number) {
    this.wrongType = new Uint32Array(features);
  }

  addLatency(value: unknown): void {
    if (value === undefined || value === null) return;
    if (typeof value !== 'number' || !(value >= 0) || value === Infinity) {
      this.latencyInvalid++;
      return;
    }
    (this.latency ??= new QuantileSketch()).add(value);
  }

  addPrediction(prediction: unknown, partition: number): void {
    if (typeof prediction === 'number') {
      if (!Number.isFinite(prediction)) return;
      this.numericPredictions++;
      this.predictionSums.set(partition, (this.predictionSums.get(partition) ?? 0) + prediction);
      if (prediction < this.predictionMin) this.predictionMin = prediction;
      if (prediction > this.predictionMax) this.predictionMax = prediction;
    } else if (typeof prediction === 'string' || typeof prediction === 'boolean') {
      this.countClass(className(String(prediction)), 1);
    }
  }

  addNewFeature(name: string): void {
    countBounded(this.newFeatures, name, 1, MAX_NEW_FEATURE_NAMES, (n) => {
      this.otherNewFeatures += n;
    });
  }

  merge(other: WindowOps): void {
    this.known &&= other.known;
    this.errors += other.errors;
    this.lateEvents += other.lateEvents;
    this.futureEvents += other.futureEvents;
    this.latencyInvalid += other.latencyInvalid;
    if (other.latency) {
      if (this.latency) this.latency.merge(other.latency);
      else this.latency = QuantileSketch.fromState(other.latency.toState());
    }
    for (const [name, count] of other.classes) this.countClass(name, count);
    this.otherClasses += other.otherClasses;
    this.numericPredictions += other.numericPredictions;
    for (const [partition, sum] of other.predictionSums) {
      this.predictionSums.set(partition, (this.predictionSums.get(partition) ?? 0) + sum);
    }
    this.predictionMin = Math.min(this.predictionMin, other.predictionMin);
    this.predictionMax = Math.max(this.predictionMax, other.predictionMax);
    for (let i = 0; i < this.wrongType.length; i++) {
      this.wrongType[i] = (this.wrongType[i] as number) + (other.wrongType[i] ?? 0);
    }
    for (const [name, count] of other.newFeatures) {
      countBounded(this.newFeatures, name, count, MAX_NEW_FEATURE_NAMES, (n) => {
        this.otherNewFeatures += n;
      });
    }
    this.otherNewFeatures += other.otherNewFeatures;
  }

  /**
   * The sum of numeric predictions, added partition by partition in ascending order: the same
   * float however the partitions' events interleaved or their partials were merged.
   */
  get predictionSum(): number {
    let sum = 0;
    for (const p of [...this.predictionSums.keys()].sort((a, b) => a - b)) {
      sum += this.predictionSums.get(p) ?? 0;
    }
    return sum;
  }

  private countClass(name: string, count: number): void {
    countBounded(this.classes, name, count, MAX_TRACKED_CLASSES, (n) => {
      this.otherClasses += n;
    });
  }
}

/**
 * Counts `name` among the `bound` names that sort first; the rest go to `overflow`. Keeping
 * the first-sorting names (not the first seen) makes the result independent of the order
 * events and partials arrive in: a name evicted (the largest kept) or refused never sorts
 * before the kept ones again, so no name is ever counted partly by name, partly as the rest.
 */
function countBounded(
  map: Map<string, number>,
  name: string,
  count: number,
  bound: number,
  overflow: (count: number) => void,
): void {
  const known = map.get(name);
  if (known !== undefined) {
    map.set(name, known + count);
    return;
  }
  if (map.size < bound) {
    map.set(name, count);
    return;
  }
  let largest: string | undefined;
  for (const k of map.keys()) if (largest === undefined || k > largest) largest = k;
  if (largest === undefined || name > largest) {
    overflow(count);
    return;
  }
  overflow(map.get(largest) ?? 0);
  map.delete(largest);
  map.set(name, count);
}

// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;

/** A predicted class as a tag value: control characters replaced, long names bounded. */
function className(raw: string): string {
  const clean = hasControlCharacter(raw) ? raw.replace(CONTROLS, '\ufffd') : raw;
  return clean.length > LIMITS.categoryLength ? shortenedCategory(clean) : clean;
}
