import { Moments } from './moments.js';
import type { SourceFloatsState } from './state.js';

/**
 * What a source accumulates in floating point: its moments and its offset sums beyond either
 * end of the reference sample (unbounded, so not kept in fixed point). Extends Moments
 * rather than holding one: one object less to load per value.
 */
export class SourceFloats extends Moments {
  /** Σ(first reference value − x) over the values below it. */
  below = 0;
  /** Σ(x − last reference value) over the values above it. */
  above = 0;

  override merge(other: SourceFloats): void {
    super.merge(other);
    this.below += other.below;
    this.above += other.above;
  }

  toState(source: number): SourceFloatsState {
    const { n, mean, m2, min, max, below, above } = this;
    return { source, n, mean, m2, min, max, below, above };
  }

  /** Copies every field of `state` (the caller checked its counts). */
  setState(state: SourceFloatsState): void {
    this.n = state.n;
    this.mean = state.mean;
    this.m2 = state.m2;
    this.min = state.min;
    this.max = state.max;
    this.below = state.below;
    this.above = state.above;
  }
}
