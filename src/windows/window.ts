import {
  CategoricalAggregate,
  NumericAggregate,
  type FeatureAggregate,
} from '../../detectors/index.js';
import { categoryKey, type Baseline } from '../baseline/baseline.js';
import { LIMITS, shortenedCategory } from '../ingest/limits.js';
import type { PredictionLog } from '../ingest/prediction-log.js';

/** One tumbling event-time window of one (model, model_version). */
export class Window {
  readonly baseline: Baseline;
  /** The events' model and version: with a fallback baseline, not the baseline's version. */
  readonly model: string;
  readonly modelVersion: string;
  readonly start: number;
  readonly end: number;
  events = 0;
  /** Unseen categorical values longer than LIMITS.categoryLength, kept under a shortened name. */
  longCategories = 0;
  /** Per partition, the first (smallest) offset of an event in this window. */
  readonly firstOffsets = new Map<number, number>();
  /** Parallel arrays, not a Map: the per-event loop indexes them without allocating. */
  private readonly names: string[];
  private readonly aggregates: FeatureAggregate[];
  /** Position of the baseline's prediction column, fed from the log's `prediction` (−1: none). */
  private readonly predictionIndex: number;

  constructor(baseline: Baseline, model: string, modelVersion: string, start: number, end: number) {
    this.baseline = baseline;
    this.model = model;
    this.modelVersion = modelVersion;
    this.start = start;
    this.end = end;
    this.names = [...baseline.features.keys()];
    this.predictionIndex =
      baseline.prediction === null ? -1 : this.names.indexOf(baseline.prediction);
    this.aggregates = [...baseline.features.values()].map((reference) =>
      reference.kind === 'numeric'
        ? new NumericAggregate(reference)
        : new CategoricalAggregate(reference),
    );
  }

  add(log: PredictionLog, partition: number, offset: number): void {
    this.events++;
    if (!this.firstOffsets.has(partition)) this.firstOffsets.set(partition, offset);
    const values = log.features;
    for (let i = 0; i < this.names.length; i++) {
      let value: unknown = values[this.names[i] as string];
      // The model's output is compared like a feature: from `prediction` (a score or a class;
      // a map of class probabilities has no single value) unless the features carry it.
      if (i === this.predictionIndex && value === undefined) value = log.prediction;
      // Validated values are primitives or null; an object or function was inherited from
      // Object.prototype (a feature named "constructor", say) and means "absent".
      const own = typeof value === 'object' || typeof value === 'function' ? null : value;
      const aggregate = this.aggregates[i] as FeatureAggregate;
      if (aggregate instanceof NumericAggregate) {
        // Text where a number belongs is unusable for this feature: counted as missing. Per
        // partition, so the window's floats do not depend on how partitions interleave.
        aggregate.add(typeof own === 'number' ? own : null, partition);
      } else if (own === null || own === undefined) {
        aggregate.add(null);
      } else {
        const key = categoryKey(own as string | number | boolean);
        aggregate.add(
          key.length > LIMITS.categoryLength && !aggregate.reference.index.has(key)
            ? this.shortened(key)
            : key,
        );
      }
    }
  }

  /** Unseen categories are held by name until the window closes: long ones by a bounded one. */
  private shortened(key: string): string {
    this.longCategories++;
    return shortenedCategory(key);
  }

  featureAggregates(): ReadonlyMap<string, FeatureAggregate> {
    return new Map(this.names.map((name, i) => [name, this.aggregates[i] as FeatureAggregate]));
  }
}
