import type { Baseline } from '../baseline/baseline.js';
import type { PredictionLog } from '../ingest/prediction-log.js';
import { FeatureAggregate } from './feature-aggregate.js';

/** One tumbling event-time window of one (model, model_version). */
export class Window {
  readonly baseline: Baseline;
  readonly start: number;
  readonly end: number;
  events = 0;
  /** Per partition, the first (smallest) offset of an event in this window. */
  readonly firstOffsets = new Map<number, number>();
  private readonly features: Map<string, FeatureAggregate>;
  /** Features present in events but unknown to the baseline. */
  unknownFeatureValues = 0;

  constructor(baseline: Baseline, start: number, end: number) {
    this.baseline = baseline;
    this.start = start;
    this.end = end;
    this.features = new Map();
    for (const [name, fb] of baseline.features) this.features.set(name, new FeatureAggregate(fb));
  }

  add(log: PredictionLog, partition: number, offset: number): void {
    this.events++;
    if (!this.firstOffsets.has(partition)) this.firstOffsets.set(partition, offset);
    const values = log.features;
    for (const [name, aggregate] of this.features) aggregate.add(values[name]);
    for (const name in values) if (!this.features.has(name)) this.unknownFeatureValues++;
  }

  featureAggregates(): ReadonlyMap<string, FeatureAggregate> {
    return this.features;
  }
}
