/**
 * Constant-time `#breakpoints <= x` (numpy searchsorted 'right') over a fixed ascending array,
 * for the per-value hot path (baseline bins, KS cells). A table of equal-width buckets over
 * [first, last] records where each bucket's breakpoints start; a value whose bucket holds no
 * breakpoint has its answer in the table, otherwise a short scan of that bucket decides.
 *
 * Exactness does not depend on rounding: the bucket of a value is a monotone function of the
 * value, computed the same way for breakpoints and queries, so every breakpoint in an earlier
 * bucket is below x and every one in a later bucket above it.
 */
export class SortedIndex {
  private readonly sorted: Float64Array;
  private readonly first: number;
  private readonly last: number;
  private readonly scale: number;
  private readonly buckets: number;
  /**
   * starts[b] = index of the first breakpoint whose bucket is >= b (length buckets + 1);
   * 16-bit when it fits, to halve what the per-value lookup pulls into cache.
   */
  private readonly starts: Uint16Array | Uint32Array;

  constructor(sorted: Float64Array) {
    this.sorted = sorted;
    const n = sorted.length;
    this.first = n > 0 ? (sorted[0] as number) : 0;
    this.last = n > 0 ? (sorted[n - 1] as number) : 0;
    // At least 1024 buckets and about four per breakpoint: most buckets hold none or one.
    this.buckets = Math.max(1024, Math.min(1 << 22, 2 ** Math.ceil(Math.log2(4 * n + 1))));
    const span = this.last - this.first;
    const scale = this.buckets / span;
    // A span of subnormals makes the scale infinite; one bucket then holds everything.
    this.scale = span > 0 && Number.isFinite(scale) ? scale : 0;
    this.starts =
      n < 0xffff ? new Uint16Array(this.buckets + 1) : new Uint32Array(this.buckets + 1);
    let i = 0;
    for (let b = 0; b <= this.buckets; b++) {
      while (i < n && this.bucketOf(sorted[i] as number) < b) i++;
      this.starts[b] = i;
    }
  }

  private bucketOf(x: number): number {
    const b = Math.floor((x - this.first) * this.scale);
    // NaN (x − first overflows) and overshoot both land in the last bucket: still monotone.
    return b < this.buckets ? b : this.buckets - 1;
  }

  countAll(values: ArrayLike<number>, counts: Float64Array): void {
    const { sorted, first, last, scale, starts } = this;
    const n = sorted.length;
    const top = this.buckets - 1;
    for (let v = 0; v < values.length; v++) {
      const x = values[v] as number;
      let i: number;
      if (!(x >= first)) i = 0;
      else if (x >= last) i = n;
      else {
        let b = Math.floor((x - first) * scale);
        // NaN (an overflowing span) and overshoot go to the last bucket, as in bucketOf.
        if (!(b < top)) b = top;
        i = starts[b] as number;
        const end = starts[b + 1] as number;
        if (i !== end) i = this.scan(x, i, end);
      }
      counts[i] = (counts[i] as number) + 1;
    }
  }

  private scan(x: number, i: number, end: number): number {
    const sorted = this.sorted;
    while (end - i > 8) {
      const mid = (i + end) >>> 1;
      if ((sorted[mid] as number) <= x) i = mid + 1;
      else end = mid;
    }
    while (i < end && (sorted[i] as number) <= x) i++;
    return i;
  }

  /** Number of breakpoints <= x; x must not be NaN. */
  countAtMost(x: number): number {
    const sorted = this.sorted;
    if (!(x >= this.first)) return 0;
    if (x >= this.last) return sorted.length;
    const b = this.bucketOf(x);
    const i = this.starts[b] as number;
    const end = this.starts[b + 1] as number;
    // Clustered breakpoints (a spike far from outliers) can crowd one bucket: scan bisects.
    return i === end ? i : this.scan(x, i, end);
  }
}

/**
 * Adds 1 to counts[#breakpoints <= x] for every value: the bulk form of countAtMost, with the
 * index's fields in locals so the loop runs at memory speed. Values must not be NaN.
 */
const cache = new WeakMap<Float64Array, SortedIndex>();

/** The index of a breakpoint array, built once per array (baselines are immutable). */
export function sortedIndexOf(sorted: Float64Array): SortedIndex {
  let index = cache.get(sorted);
  if (index === undefined) {
    index = new SortedIndex(sorted);
    cache.set(sorted, index);
  }
  return index;
}
