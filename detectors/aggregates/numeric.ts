import type { NumericReference, ReferenceSample } from '../reference.js';
import { sortedIndexOf, type SortedIndex } from '../sorted-index.js';
import { Moments, type FeatureSummary } from './moments.js';

/**
 * The window side of one numeric feature: mergeable, bounded memory, independent of the
 * window's size.
 *
 * - Counts per baseline bin (PSI, Jensen–Shannon, Hellinger, chi-square over bins).
 * - KS cells against the baseline's reference sample: one count for each distinct reference
 *   value and one for each open interval between neighbours. Between two reference values
 *   the reference ECDF is flat, so the largest ECDF gap inside an interval is reached at its
 *   last window value: these counts give the KS statistic exactly (bit-identical to
 *   ks_2samp(reference sample, window values)) for a window of any size, in
 *   O(reference size) memory. No sketch, no approximation.
 * - Per interval, the sum of the window values' offsets from the interval's left end: the
 *   Wasserstein distance to the reference sample follows exactly except in intervals where
 *   the window ECDF crosses the reference level; there it is bounded and the bound returned.
 * - Missing (null, NaN) and non-finite (±Infinity) values are counted apart and never enter
 *   a statistic; moments for the summary.
 */
export class NumericAggregate {
  readonly reference: NumericReference;
  readonly binCounts: Float64Array;
  /**
   * Per reference value k (0..u, u = distinct values), three slots side by side so one value
   * touches one cache line: [3k] the count in the open interval below value k (k = u: above
   * the last value), [3k+1] that interval's offset sum (Σ(value 0 − x) for k = 0, else
   * Σ(x − value k−1)), [3k+2] the count equal to value k (unused for k = u).
   */
  private cells: Float64Array | undefined;
  readonly moments = new Moments();
  missing = 0;
  nonFinite = 0;
  private readonly binIndex: SortedIndex;
  private readonly sampleIndex: SortedIndex | undefined;

  constructor(reference: NumericReference) {
    this.reference = reference;
    this.binCounts = new Float64Array(reference.cuts.length + 1);
    this.binIndex = sortedIndexOf(reference.cuts);
    this.sampleIndex = reference.sample && sortedIndexOf(reference.sample.values);
  }

  /** Values counted into the statistics (finite, non-missing). */
  get n(): number {
    return this.moments.n;
  }

  add(x: number | null | undefined): void {
    if (x === null || x === undefined || Number.isNaN(x)) {
      this.missing++;
      return;
    }
    if (x === Infinity || x === -Infinity) {
      this.nonFinite++;
      return;
    }
    const bin = this.binIndex.countAtMost(x);
    this.binCounts[bin] = (this.binCounts[bin] as number) + 1;
    this.moments.add(x);
    if (this.sampleIndex !== undefined) this.addToCells(this.sampleIndex, x);
  }

  addAll(values: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++) this.add(values[i]);
  }

  private addToCells(index: SortedIndex, x: number): void {
    const sample = this.reference.sample as ReferenceSample;
    const u = sample.values.length;
    const cells = (this.cells ??= new Float64Array(3 * (u + 1)));
    const k = index.countAtMost(x);
    if (k > 0) {
      const below = sample.values[k - 1] as number;
      if (below === x) {
        cells[3 * k - 1] = (cells[3 * k - 1] as number) + 1;
        return;
      }
      cells[3 * k] = (cells[3 * k] as number) + 1;
      cells[3 * k + 1] = (cells[3 * k + 1] as number) + (x - below);
      return;
    }
    cells[0] = (cells[0] as number) + 1;
    cells[1] = (cells[1] as number) + ((sample.values[0] as number) - x);
  }

  /** Adds another aggregate of the same feature and baseline (panes, partitions). */
  merge(other: NumericAggregate): void {
    if (other.reference !== this.reference) {
      throw new Error('NumericAggregate.merge: aggregates built against different baselines');
    }
    addInto(this.binCounts, other.binCounts);
    if (other.cells) this.cells = addInto(this.cells, other.cells);
    this.moments.merge(other.moments);
    this.missing += other.missing;
    this.nonFinite += other.nonFinite;
  }

  /** Moments overflow for |values| beyond ~1e154: what cannot be represented is null. */
  summary(): FeatureSummary {
    const m = this.moments;
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

  /**
   * KS statistic between the reference sample and the window, as ks_2samp(reference, window)
   * computes it. Requires a reference sample and at least one value.
   */
  ksStatistic(): number {
    const { sample, cells } = this.requireCells();
    const nRef = sample.size;
    const n = this.n;
    let w = 0;
    let max = 0;
    let min = 0;
    const u = sample.values.length;
    for (let k = 0; k <= u; k++) {
      const below = cells[3 * k] as number;
      const r = k === 0 ? 0 : (sample.cumulative[k - 1] as number);
      if (below > 0) {
        w += below;
        const d = r / nRef - w / n;
        if (d < min) min = d;
        else if (d > max) max = d;
      }
      if (k === u) break;
      w += cells[3 * k + 2] as number;
      const d = (sample.cumulative[k] as number) / nRef - w / n;
      if (d > max) max = d;
      else if (d < min) min = d;
    }
    const minS = Math.min(-min, 1);
    return minS > max ? minS : max;
  }

  /**
   * Wasserstein-1 distance between the reference sample and the window, with `bound`: the
   * true value lies within estimate ± bound (0 unless the window ECDF crosses the reference
   * ECDF strictly inside an interval between two reference values).
   */
  wasserstein(): { estimate: number; bound: number } {
    const { sample, cells } = this.requireCells();
    const values = sample.values;
    const u = values.length;
    const n = this.n;
    const nRef = sample.size;
    // Below the first reference value the reference CDF is 0.
    let exact = (cells[1] as number) / n;
    let lower = 0;
    let upper = 0;
    let w = (cells[0] as number) + (cells[2] as number);
    for (let k = 1; k < u; k++) {
      const width = (values[k] as number) - (values[k - 1] as number);
      const r = (sample.cumulative[k - 1] as number) / nRef;
      const count = cells[3 * k] as number;
      const a = w / n;
      const b = (w + count) / n;
      // ∫ F_window over the interval: a·width plus each value's distance to the right end.
      const integral = a * width + (count * width - (cells[3 * k + 1] as number)) / n;
      const signed = integral - r * width;
      if (r <= a) exact += signed;
      else if (r >= b) exact -= signed;
      else {
        lower += Math.abs(signed);
        upper += Math.min(2 * (b - r) * width - signed, signed + 2 * (r - a) * width);
      }
      w += count + (cells[3 * k + 2] as number);
    }
    // Above the last reference value the reference CDF is 1.
    exact += (cells[3 * u + 1] as number) / n;
    return { estimate: exact + (lower + upper) / 2, bound: (upper - lower) / 2 };
  }

  private requireCells(): { sample: ReferenceSample; cells: Float64Array } {
    const sample = this.reference.sample;
    if (sample === undefined) throw new Error('the baseline has no reference sample');
    const cells = this.cells;
    if (this.n === 0 || !cells) throw new Error('the window has no values');
    return { sample, cells };
  }
}

function addInto(target: Float64Array | undefined, source: Float64Array): Float64Array {
  const out = target ?? new Float64Array(source.length);
  for (let i = 0; i < source.length; i++) out[i] = (out[i] as number) + (source[i] as number);
  return out;
}
