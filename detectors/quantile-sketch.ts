/**
 * A mergeable quantile sketch with a relative error bound (DDSketch, Masson, Rim & Lee, VLDB
 * 2019), for non-negative measurements such as latencies: every quantile it returns is within
 * a factor (1 ± α) of the exact one, however the values are spread and however windows or
 * partitions are merged — merging adds bucket counts, so the result does not depend on order.
 *
 * Bucket i holds the values in (γ^(i−1), γ^i], γ = (1 + α)/(1 − α), and answers with
 * 2γ^i/(γ + 1), which is within α of anything in it. Zeros are counted apart. Memory: one count
 * per bucket between the smallest and the largest value, log_γ(max/min) of them — about 1,100 for
 * 1 µs…1 h at α = 1 %. Past `maxBuckets` the lowest buckets are folded into one: the bound then
 * no longer holds for the quantiles that land in it (the smallest values), and `collapsed` says
 * so; the upper quantiles — the ones latency alerts read — keep it.
 */
export const DEFAULT_SKETCH_ALPHA = 0.01;
export const DEFAULT_SKETCH_MAX_BUCKETS = 2_048;

export interface QuantileSketchState {
  alpha: number;
  /** Bucket index of counts[0]. */
  offset: number;
  counts: Float64Array;
  zeros: number;
  min: number;
  max: number;
  collapsed: boolean;
}

export class QuantileSketch {
  readonly alpha: number;
  private readonly maxBuckets: number;
  private readonly logGamma: number;
  private readonly gamma: number;
  private counts = new Float64Array(0);
  private offset = 0;
  private zeros = 0;
  private positives = 0;
  private min = Infinity;
  private max = -Infinity;
  collapsed = false;

  constructor(alpha = DEFAULT_SKETCH_ALPHA, maxBuckets = DEFAULT_SKETCH_MAX_BUCKETS) {
    if (!(alpha > 0 && alpha < 1))
      throw new RangeError(`QuantileSketch: alpha ${alpha} not in (0, 1)`);
    this.alpha = alpha;
    this.maxBuckets = maxBuckets;
    this.gamma = (1 + alpha) / (1 - alpha);
    this.logGamma = Math.log(this.gamma);
  }

  /** Values counted. */
  get n(): number {
    return this.zeros + this.positives;
  }

  /** Adds a measurement; false (not counted) for a negative or non-finite one. */
  add(x: number): boolean {
    if (!(x >= 0) || x === Infinity) return false;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    if (x === 0) {
      this.zeros++;
      return true;
    }
    this.addToBucket(Math.ceil(Math.log(x) / this.logGamma), 1);
    this.positives++;
    return true;
  }

  merge(other: QuantileSketch): void {
    if (other.alpha !== this.alpha) {
      throw new RangeError('QuantileSketch.merge: sketches with different alpha');
    }
    for (let i = 0; i < other.counts.length; i++) {
      const c = other.counts[i] as number;
      if (c > 0) this.addToBucket(other.offset + i, c);
    }
    this.zeros += other.zeros;
    this.positives += other.positives;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
    this.collapsed ||= other.collapsed;
  }

  /**
   * The q-quantile (0 ≤ q ≤ 1) as the lower order statistic, the ⌊q·(n − 1)⌋-th smallest value
   * (numpy's method='lower'), within a factor 1 ± α; null when empty. The exact min and max are
   * kept, and the estimate never leaves [min, max].
   */
  quantile(q: number): number | null {
    const n = this.n;
    if (n === 0 || !(q >= 0 && q <= 1)) return null;
    const rank = Math.floor(q * (n - 1));
    if (rank === 0) return this.min;
    if (rank === n - 1) return this.max;
    if (rank < this.zeros) return 0;
    let seen = this.zeros;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i] as number;
      if (seen > rank) {
        const estimate = (2 * Math.exp((this.offset + i) * this.logGamma)) / (this.gamma + 1);
        return Math.min(Math.max(estimate, this.min), this.max);
      }
    }
    return this.max;
  }

  toState(): QuantileSketchState {
    return {
      alpha: this.alpha,
      offset: this.offset,
      counts: Float64Array.from(this.counts),
      zeros: this.zeros,
      min: this.min,
      max: this.max,
      collapsed: this.collapsed,
    };
  }

  static fromState(
    state: QuantileSketchState,
    maxBuckets = DEFAULT_SKETCH_MAX_BUCKETS,
  ): QuantileSketch {
    const s = new QuantileSketch(state.alpha, maxBuckets);
    s.counts = Float64Array.from(state.counts);
    s.offset = state.offset;
    s.zeros = state.zeros;
    s.positives = s.counts.reduce((a, c) => a + c, 0);
    s.min = state.min;
    s.max = state.max;
    s.collapsed = state.collapsed;
    return s;
  }

  private addToBucket(index: number, count: number): void {
    const slot = this.slotOf(index);
    this.counts[slot] = (this.counts[slot] as number) + count;
  }

  /**
   * The slot of bucket `index`, widening the kept range (doubling, for amortised O(1)) when it
   * lies outside. A range wider than maxBuckets keeps its top maxBuckets buckets; the ones
   * below fold into the lowest kept one.
   */
  private slotOf(index: number): number {
    const length = this.counts.length;
    if (length === 0) {
      this.counts = new Float64Array(Math.min(16, this.maxBuckets));
      this.offset = index;
      return 0;
    }
    const lo = this.offset;
    const hi = lo + length - 1;
    if (index >= lo && index <= hi) return index - lo;
    const wantLo = Math.min(lo, index);
    const wantHi = Math.max(hi, index);
    const size = Math.min(this.maxBuckets, Math.max(wantHi - wantLo + 1, length * 2));
    // Growing up: spare room above; growing down: spare room below.
    const offset = index > hi ? Math.max(wantLo, wantHi - size + 1) : wantHi - size + 1;
    const next = new Float64Array(size);
    for (let j = 0; j < length; j++) {
      const c = this.counts[j] as number;
      if (c === 0) continue;
      const target = lo + j - offset;
      if (target < 0) this.collapsed = true;
      const t = Math.max(0, target);
      next[t] = (next[t] as number) + c;
    }
    this.counts = next;
    this.offset = offset;
    if (index < offset) {
      this.collapsed = true;
      return 0;
    }
    return index - offset;
  }
}
