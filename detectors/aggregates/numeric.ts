import type { NumericReference, ReferenceSample } from '../reference.js';
import { sortedIndexOf, type SortedIndex } from '../sorted-index.js';
import { scalesOf, sumAt } from './fixed-point.js';
import { KsCells } from './ks-cells.js';
import { Moments, type FeatureSummary } from './moments.js';
import { OutOfRangeCounts, type OutOfRangeSummary } from './out-of-range.js';
import { PerSource } from './per-source.js';
import { SourceFloats } from './source-floats.js';
import { checkNumericState, type NumericAggregateState } from './state.js';

/**
 * The window side of one numeric feature: mergeable, bounded memory, independent of the
 * window's size, and the same whatever the order of the values across sources.
 *
 * - Counts per baseline bin (PSI, Jensen–Shannon, Hellinger, chi-square over bins).
 * - KS cells against the baseline's reference sample: one count for each distinct reference
 *   value and one for each open interval between neighbours. Between two reference values
 *   the reference ECDF is flat, so the largest ECDF gap inside an interval is reached at its
 *   last window value: these counts give the KS statistic exactly (bit-identical to
 *   ks_2samp(reference sample, window values)) for a window of any size, in
 *   O(reference size) memory at most: a small window keeps its values instead (KsCells),
 *   8 bytes each, until they would take as much room. No sketch, no approximation.
 * - Per interval, the sum of the window values' offsets from the interval's left end, in
 *   exact fixed point (fixed-point.ts): the Wasserstein distance to the reference sample
 *   follows exactly except in intervals where the window ECDF crosses the reference level;
 *   there it is bounded and the bound returned.
 * - Missing (null, NaN) and non-finite (±Infinity) values are counted apart and never enter
 *   a statistic; moments for the summary.
 *
 * Counts and fixed-point sums do not depend on the order of additions. The float
 * accumulators (moments, the two unbounded end sums) do, so they are kept per source
 * (PerSource): results depend only on each source's own order of values.
 */
export class NumericAggregate {
  readonly reference: NumericReference;
  readonly binCounts: Float64Array;
  /** Against the reference sample (KsCells: held values while small, else dense slots). */
  private readonly ks: KsCells | undefined;
  private readonly floats = new PerSource(() => new SourceFloats());
  /** Undefined when the baseline does not say what training covered (format 1). */
  private readonly outOfRange: OutOfRangeCounts | undefined;
  private count = 0;
  missing = 0;
  nonFinite = 0;
  private readonly binIndex: SortedIndex;
  /** The reference sample's ends (NaN without one): beyond them offsets go to the floats. */
  private readonly sampleFirst: number;
  private readonly sampleLast: number;

  constructor(reference: NumericReference) {
    this.reference = reference;
    this.binCounts = new Float64Array(reference.cuts.length + 1);
    this.binIndex = sortedIndexOf(reference.cuts);
    this.ks = reference.sample && new KsCells(reference.sample);
    this.outOfRange = reference.range && new OutOfRangeCounts(reference.range);
    const values = reference.sample?.values;
    this.sampleFirst = values?.[0] ?? NaN;
    this.sampleLast = values?.[values.length - 1] ?? NaN;
  }

  /** Values counted into the statistics (finite, non-missing). */
  get n(): number {
    return this.count;
  }

  /** `source`: where the value came from (a partition); values of one source keep their order. */
  add(x: number | null | undefined, source = 0): void {
    if (x === null || x === undefined || Number.isNaN(x)) {
      this.missing++;
      return;
    }
    if (x === Infinity || x === -Infinity) {
      this.nonFinite++;
      return;
    }
    this.count++;
    const bin = this.binIndex.countAtMost(x);
    this.binCounts[bin] = (this.binCounts[bin] as number) + 1;
    this.outOfRange?.add(x);
    const floats = this.floats.get(source);
    floats.add(x);
    if (this.ks !== undefined) {
      // Beyond the sample's ends the offsets are unbounded: floats, in this source's order.
      if (x < this.sampleFirst) floats.below += this.sampleFirst - x;
      else if (x > this.sampleLast) floats.above += x - this.sampleLast;
      this.ks.add(x);
    }
  }

  addAll(values: ArrayLike<number>, source = 0): void {
    for (let i = 0; i < values.length; i++) this.add(values[i], source);
  }

  /**
   * Adds another aggregate of the same feature and baseline (panes, partitions). Counts and
   * fixed-point sums add exactly; a source's floats merge with Chan's formula, so when both
   * sides hold the same source the order of merges matters (keep it fixed).
   */
  merge(other: NumericAggregate): void {
    if (other.reference !== this.reference) {
      throw new Error('NumericAggregate.merge: aggregates built against different baselines');
    }
    for (let i = 0; i < other.binCounts.length; i++) {
      this.binCounts[i] = (this.binCounts[i] as number) + (other.binCounts[i] as number);
    }
    if (other.ks !== undefined) this.ks?.merge(other.ks);
    this.outOfRange?.merge(other.outOfRange);
    for (const [source, floats] of other.floats.inOrder()) this.floats.get(source).merge(floats);
    this.count += other.count;
    this.missing += other.missing;
    this.nonFinite += other.nonFinite;
  }

  /** Everything this aggregate holds, as plain data (KS: held values or non-zero cells). */
  toState(): NumericAggregateState {
    return {
      kind: 'numeric',
      count: this.count,
      missing: this.missing,
      nonFinite: this.nonFinite,
      binCounts: Float64Array.from(this.binCounts),
      ks: this.ks?.state() ?? { form: 'cells', cells: new Float64Array(0) },
      sources: this.floats.inOrder().map(([source, floats]) => floats.toState(source)),
      outOfRange: this.outOfRange?.state(),
    };
  }

  /**
   * The aggregate `toState` described, against the same reference. Throws DetectorInputError
   * when the state cannot have come from one (counts that disagree, cells out of range).
   */
  static fromState(reference: NumericReference, state: NumericAggregateState): NumericAggregate {
    const aggregate = new NumericAggregate(reference);
    checkNumericState(state, aggregate.binCounts.length, reference.sample?.values.length);
    aggregate.binCounts.set(state.binCounts);
    aggregate.count = state.count;
    aggregate.missing = state.missing;
    aggregate.nonFinite = state.nonFinite;
    // Kept as they are (a decoded state is not used again): the caller hands them over.
    aggregate.ks?.restore(state.ks);
    for (const floats of state.sources) aggregate.floats.get(floats.source).setState(floats);
    aggregate.outOfRange?.restore(state.outOfRange);
    return aggregate;
  }

  /** Count, mean, variance, min and max over every source, merged in ascending source order. */
  moments(): Moments {
    const all = new Moments();
    for (const [, floats] of this.floats.inOrder()) all.merge(floats);
    return all;
  }

  /** Moments overflow for |values| beyond ~1e154: what cannot be represented is null. */
  summary(): FeatureSummary {
    const m = this.moments();
    const finite = (x: number | null) => (x !== null && Number.isFinite(x) ? x : null);
    return {
      count: m.n,
      missing: this.missing + this.nonFinite,
      mean: m.n > 0 ? finite(m.mean) : null,
      std: finite(m.std),
      min: m.n > 0 ? m.min : null,
      max: m.n > 0 ? m.max : null,
    };
  }

  /** Values outside the training range; undefined when unknown for this window. */
  outOfRangeSummary(): OutOfRangeSummary | undefined {
    return this.outOfRange?.summary();
  }

  /**
   * KS statistic between the reference sample and the window, as ks_2samp(reference, window)
   * computes it. Requires a reference sample and at least one value.
   */
  ksStatistic(): number {
    return (this.ks as KsCells).ksStatistic(this.requireSample(), this.n);
  }

  /**
   * Wasserstein-1 distance between the reference sample and the window, with `bound`: the
   * true value lies within estimate ± bound (0 unless the window ECDF crosses the reference
   * ECDF strictly inside an interval between two reference values).
   */
  wasserstein(): { estimate: number; bound: number } {
    const sample = this.requireSample();
    const cells = (this.ks as KsCells).view();
    const values = sample.values;
    const scales = scalesOf(values);
    const u = values.length;
    const n = this.n;
    const nRef = sample.size;
    let below = 0;
    let above = 0;
    for (const [, floats] of this.floats.inOrder()) {
      below += floats.below;
      above += floats.above;
    }
    // Below the first reference value the reference CDF is 0.
    let exact = below / n;
    let lower = 0;
    let upper = 0;
    let w = (cells[0] as number) + (cells[3] as number);
    for (let k = 1; k < u; k++) {
      const width = (values[k] as number) - (values[k - 1] as number);
      const r = (sample.cumulative[k - 1] as number) / nRef;
      const count = cells[4 * k] as number;
      const a = w / n;
      const b = (w + count) / n;
      // ∫ F_window over the interval: a·width plus each value's distance to the right end.
      const offsets = sumAt(cells, 4 * k + 1, scales[k] as number);
      const integral = a * width + (count * width - offsets) / n;
      const signed = integral - r * width;
      if (r <= a) exact += signed;
      else if (r >= b) exact -= signed;
      else {
        lower += Math.abs(signed);
        upper += Math.min(2 * (b - r) * width - signed, signed + 2 * (r - a) * width);
      }
      w += count + (cells[4 * k + 3] as number);
    }
    // Above the last reference value the reference CDF is 1.
    exact += above / n;
    return { estimate: exact + (lower + upper) / 2, bound: (upper - lower) / 2 };
  }

  private requireSample(): ReferenceSample {
    const sample = this.reference.sample;
    if (sample === undefined || this.ks === undefined) {
      throw new Error('the baseline has no reference sample');
    }
    if (this.n === 0) throw new Error('the window has no values');
    return sample;
  }

  /** The non-zero KS cells, packed (CELL_STRIDE per cell), whatever form they are kept in. */
  ksCells(): Float64Array {
    return this.ks?.cells().slice() ?? new Float64Array(0);
  }

  /** Bytes the KS cells take now (0 without a reference sample). */
  get ksBytes(): number {
    return this.ks?.bytes ?? 0;
  }
}
