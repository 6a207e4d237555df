import type { TrainingRange } from '../reference.js';

/**
 * A window's values outside what training covered, counted: below the training minimum, above
 * the maximum, below the 0.1 % quantile, above the 99.9 % one. Counts, so they add exactly
 * across partitions and panes. `complete` turns false when merged with a window whose counts
 * were never kept (a partial in an older partials format): its shares would be too low, so
 * none are reported for that window.
 */
export interface OutOfRangeState {
  belowMin: number;
  aboveMax: number;
  belowLow: number;
  aboveHigh: number;
}

/** What a window reports: counts (complete ones only); the tail counts need the quantiles. */
export interface OutOfRangeSummary {
  belowMin: number;
  aboveMax: number;
  belowLow: number | null;
  aboveHigh: number | null;
}

export class OutOfRangeCounts {
  belowMin = 0;
  aboveMax = 0;
  belowLow = 0;
  aboveHigh = 0;
  complete = true;
  private readonly min: number;
  private readonly max: number;
  private readonly low: number;
  private readonly high: number;

  constructor(range: TrainingRange) {
    this.min = range.min;
    this.max = range.max;
    this.low = range.low;
    this.high = range.high;
  }

  /** A finite value; comparisons with a NaN bound are false, so absent bounds count nothing. */
  add(x: number): void {
    if (x < this.low) this.belowLow++;
    else if (x > this.high) this.aboveHigh++;
    if (x < this.min) this.belowMin++;
    else if (x > this.max) this.aboveMax++;
  }

  merge(other: OutOfRangeCounts | undefined): void {
    if (other === undefined || !other.complete) {
      this.complete = false;
      return;
    }
    this.belowMin += other.belowMin;
    this.aboveMax += other.aboveMax;
    this.belowLow += other.belowLow;
    this.aboveHigh += other.aboveHigh;
  }

  /** undefined once incomplete: the state of a window whose counts are unknown. */
  state(): OutOfRangeState | undefined {
    if (!this.complete) return undefined;
    const { belowMin, aboveMax, belowLow, aboveHigh } = this;
    return { belowMin, aboveMax, belowLow, aboveHigh };
  }

  restore(state: OutOfRangeState | undefined): void {
    if (state === undefined) {
      this.complete = false;
      return;
    }
    this.belowMin = state.belowMin;
    this.aboveMax = state.aboveMax;
    this.belowLow = state.belowLow;
    this.aboveHigh = state.aboveHigh;
  }

  summary(): OutOfRangeSummary | undefined {
    if (!this.complete) return undefined;
    const tails = Number.isFinite(this.low) && Number.isFinite(this.high);
    return {
      belowMin: this.belowMin,
      aboveMax: this.aboveMax,
      belowLow: tails ? this.belowLow : null,
      aboveHigh: tails ? this.aboveHigh : null,
    };
  }
}
