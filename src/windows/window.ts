import {
  CategoricalAggregate,
  NumericAggregate,
  type FeatureAggregate,
} from '../../detectors/index.js';
import { categoryKey, type Baseline } from '../baseline/baseline.js';
import { DriftwatchError } from '../errors.js';
import { LIMITS, shortenedCategory } from '../prediction-log/limits.js';
import { preview } from '../shared/untrusted-text.js';
import type { PredictionLog } from '../prediction-log/prediction-log.js';
import { WindowOps } from './window-ops.js';
import { WindowQuality } from './window-quality.js';

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
  /** Errors, latency, predictions, wrong types and new features (window-ops.ts). */
  ops: WindowOps;
  /** Labelled predictions (inline labels): model quality (window-quality.ts). */
  quality = new WindowQuality();
  /**
   * The `window` tag when it is not the span's length: a count window's `count:<N>` (its span
   * varies from one window to the next).
   */
  tag: string | undefined = undefined;
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
    this.ops = new WindowOps(this.names.length);
  }

  add(log: PredictionLog, partition: number, offset: number): void {
    this.events++;
    if (!this.firstOffsets.has(partition)) this.firstOffsets.set(partition, offset);
    const values = log.features;
    const ops = this.ops;
    if (log.error !== undefined && isError(log.error)) ops.errors++;
    if (log.latency_ms !== undefined) ops.addLatency(log.latency_ms);
    if (log.prediction !== undefined) ops.addPrediction(log.prediction, partition);
    if (log.label !== undefined) this.quality.add(log, partition);
    let present = 0;
    for (let i = 0; i < this.names.length; i++) {
      let value: unknown = values[this.names[i] as string];
      if (value !== undefined && typeof value !== 'object' && typeof value !== 'function') {
        present++;
      } else if (value === null) present++;
      // The model's output is compared like a feature: from `prediction` (a score or a class;
      // a map of class probabilities has no single value) unless the features carry it.
      if (i === this.predictionIndex && value === undefined) value = log.prediction;
      // Validated values are primitives or null; an object or function was inherited from
      // Object.prototype (a feature named "constructor", say) and means "absent".
      const own = typeof value === 'object' || typeof value === 'function' ? null : value;
      const aggregate = this.aggregates[i] as FeatureAggregate;
      if (aggregate instanceof NumericAggregate) {
        // Text or a boolean where a number belongs: the wrong type, counted apart from missing.
        // Per partition, so the window's floats do not depend on how partitions interleave.
        if (typeof own === 'number') aggregate.add(own, partition);
        else if (own === null || own === undefined) aggregate.add(null, partition);
        else ops.wrongType[i] = (ops.wrongType[i] as number) + 1;
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
    // Names outside the baseline are looked for only when the event has more keys than the
    // baseline names it carries: the common event costs one count of its keys.
    let keys = 0;
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    for (const _ in values) keys++;
    if (keys > present) {
      for (const name in values) if (!this.baseline.features.has(name)) ops.addNewFeature(name);
    }
  }

  /**
   * Adds `other`'s events and aggregates: the two must be the same window (model, version,
   * bounds) against the same Baseline object. Each aggregate keeps its floats per source, so
   * merging partials in a fixed order gives the same results as one window that saw every
   * event. firstOffsets are the input partitions' bookkeeping and stay as they are.
   */
  merge(other: Window): void {
    const mismatch =
      other.baseline !== this.baseline
        ? `baseline ${other.baseline.hash} (a different object than ${this.baseline.hash})`
        : other.model !== this.model || other.modelVersion !== this.modelVersion
          ? `model ${preview(other.model)} version ${preview(other.modelVersion)}`
          : other.start !== this.start || other.end !== this.end
            ? `bounds [${other.start}, ${other.end})`
            : undefined;
    this.mergeChecked(other, mismatch);
  }

  /**
   * Adds a shorter window inside this one's bounds (a pane of a hopping window): the same
   * model, version and Baseline object.
   */
  mergePane(pane: Window): void {
    const mismatch =
      pane.baseline !== this.baseline
        ? `baseline ${pane.baseline.hash} (a different object than ${this.baseline.hash})`
        : pane.model !== this.model || pane.modelVersion !== this.modelVersion
          ? `model ${preview(pane.model)} version ${preview(pane.modelVersion)}`
          : pane.start < this.start || pane.end > this.end
            ? `bounds [${pane.start}, ${pane.end}) outside`
            : undefined;
    this.mergeChecked(pane, mismatch);
  }

  /**
   * The same aggregates over other bounds that still hold every pane merged into this window
   * (a count window closing before the span it was opened with): a merged copy.
   */
  rebounded(start: number, end: number): Window {
    const copy = new Window(this.baseline, this.model, this.modelVersion, start, end);
    copy.mergeChecked(this, undefined);
    copy.tag = this.tag;
    return copy;
  }

  private mergeChecked(other: Window, mismatch: string | undefined): void {
    if (mismatch !== undefined) {
      throw new DriftwatchError(
        'WINDOW_MERGE_MISMATCH',
        `cannot merge a window with ${mismatch} into the window [${this.start}, ${this.end}) of ` +
          `model ${preview(this.model)} version ${preview(this.modelVersion)} ` +
          `(baseline ${this.baseline.hash})`,
      );
    }
    this.events += other.events;
    this.longCategories += other.longCategories;
    this.ops.merge(other.ops);
    this.quality.merge(other.quality);
    this.aggregates.forEach((aggregate, i) => {
      const theirs = other.aggregates[i] as FeatureAggregate;
      if (aggregate instanceof NumericAggregate) aggregate.merge(theirs as NumericAggregate);
      else aggregate.merge(theirs as CategoricalAggregate);
    });
  }

  /**
   * A window rebuilt from its parts (a decoded partial): `aggregates` in the baseline's
   * feature order, each built against that feature's reference.
   */
  static restore(
    identity: Pick<Window, 'baseline' | 'model' | 'modelVersion' | 'start' | 'end'>,
    counts: Pick<Window, 'events' | 'longCategories'>,
    aggregates: readonly FeatureAggregate[],
    ops?: WindowOps,
    quality?: WindowQuality,
  ): Window {
    const { baseline, model, modelVersion, start, end } = identity;
    const window = new Window(baseline, model, modelVersion, start, end);
    const references = [...baseline.features.values()];
    if (
      aggregates.length !== references.length ||
      aggregates.some((a, i) => a.reference !== references[i])
    ) {
      throw new Error('Window.restore: aggregates not built against the baseline, in its order');
    }
    window.aggregates.splice(0, aggregates.length, ...aggregates);
    window.events = counts.events;
    window.longCategories = counts.longCategories;
    if (ops) window.ops = ops;
    if (quality) window.quality = quality;
    return window;
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

/** An error flag as logged: true, a non-empty message or a non-zero code. */
function isError(error: unknown): boolean {
  if (typeof error === 'boolean') return error;
  if (typeof error === 'string') return error.length > 0;
  if (typeof error === 'number') return error !== 0;
  return false;
}
