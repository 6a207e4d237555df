/**
 * Count, mean, variance, min and max of a stream, mergeable: Welford's update for single
 * values and Chan et al.'s pairwise combination for merges and batches, so merging two
 * partial windows gives the moments of their union without keeping the values. The last bits
 * depend on the order of adds and merges, so windows keep one per source (NumericAggregate).
 */
export class Moments {
  n = 0;
  mean = 0;
  /** Sum of squared deviations from the mean. */
  m2 = 0;
  min = Infinity;
  max = -Infinity;

  add(x: number): void {
    this.n++;
    const delta = x - this.mean;
    this.mean += delta / this.n;
    this.m2 += delta * (x - this.mean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
  }

  merge(other: Moments): void {
    if (other.n === 0) return;
    if (this.n === 0) {
      this.n = other.n;
      this.mean = other.mean;
      this.m2 = other.m2;
      this.min = other.min;
      this.max = other.max;
      return;
    }
    const n = this.n + other.n;
    const delta = other.mean - this.mean;
    this.mean += (delta * other.n) / n;
    this.m2 += other.m2 + (delta * delta * this.n * other.n) / n;
    this.n = n;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  /** Sample standard deviation (ddof 1, as pandas' describe); null below two values. */
  get std(): number | null {
    return this.n >= 2 ? Math.sqrt(this.m2 / (this.n - 1)) : null;
  }
}

/** Per-window summary of one feature, as written next to the drift statistics. */
export interface FeatureSummary {
  count: number;
  missing: number;
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
}
