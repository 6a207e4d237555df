import type { CategoricalReference } from '../reference.js';
import { checkCategoricalState, type CategoricalAggregateState } from './state.js';

/** Distinct unseen categories kept per window; later ones share one "other" bucket. */
export const MAX_UNSEEN_CATEGORIES = 1_000;
/** Key of the bucket that collects unseen categories beyond the cap. */
export const OVERFLOW_CATEGORY = '\u0000other';

/**
 * The window side of one categorical feature: a count per baseline category, categories the
 * baseline never saw kept apart by name (a new category is itself a signal), and missing
 * values. Mergeable by adding counts.
 */
export class CategoricalAggregate {
  readonly reference: CategoricalReference;
  readonly counts: Float64Array;
  readonly unseen = new Map<string, number>();
  missing = 0;

  constructor(reference: CategoricalReference) {
    this.reference = reference;
    this.counts = new Float64Array(reference.categories.length);
  }

  /** `key` is the category's canonical string; null/undefined is missing. */
  add(key: string | null | undefined, count = 1): void {
    if (key === null || key === undefined) {
      this.missing += count;
      return;
    }
    const i = this.reference.index.get(key);
    if (i !== undefined) {
      this.counts[i] = (this.counts[i] as number) + count;
      return;
    }
    const slot =
      this.unseen.has(key) || this.unseen.size < MAX_UNSEEN_CATEGORIES ? key : OVERFLOW_CATEGORY;
    this.unseen.set(slot, (this.unseen.get(slot) ?? 0) + count);
  }

  merge(other: CategoricalAggregate): void {
    if (other.reference !== this.reference) {
      throw new Error('CategoricalAggregate.merge: aggregates built against different baselines');
    }
    for (let i = 0; i < other.counts.length; i++) {
      this.counts[i] = (this.counts[i] as number) + (other.counts[i] as number);
    }
    for (const [key, count] of other.unseen) this.add(key, count);
    this.missing += other.missing;
  }

  /** Everything this aggregate holds, as plain data. */
  toState(): CategoricalAggregateState {
    return {
      kind: 'categorical',
      missing: this.missing,
      counts: Float64Array.from(this.counts),
      unseen: [...this.unseen],
    };
  }

  /**
   * The aggregate `toState` described, against the same reference. Throws DetectorInputError
   * when the state cannot have come from one.
   */
  static fromState(
    reference: CategoricalReference,
    state: CategoricalAggregateState,
  ): CategoricalAggregate {
    checkCategoricalState(state, reference.index, MAX_UNSEEN_CATEGORIES, OVERFLOW_CATEGORY);
    const aggregate = new CategoricalAggregate(reference);
    aggregate.counts.set(state.counts);
    // Set directly, not through add: the overflow bucket keeps its place and count.
    for (const [key, count] of state.unseen) aggregate.unseen.set(key, count);
    aggregate.missing = state.missing;
    return aggregate;
  }

  get n(): number {
    let n = 0;
    for (let i = 0; i < this.counts.length; i++) n += this.counts[i] as number;
    for (const c of this.unseen.values()) n += c;
    return n;
  }

  /** Values of categories absent from the baseline. */
  get unseenCount(): number {
    let n = 0;
    for (const c of this.unseen.values()) n += c;
    return n;
  }

  /**
   * Reference and window counts over the union of categories: baseline categories first, then
   * the unseen ones (reference count 0) in key order — not first-seen order, which depends on
   * how the sources interleaved and would change the order the statistics add their terms
   * in, hence their last bits. Past MAX_UNSEEN_CATEGORIES
   * distinct unseen categories, which of them keep a name depends on arrival order, so they
   * are compared as one pooled "unseen" category: merged windows then give the same
   * statistics whatever the order of the merge. A baseline with an `other` bucket (categories
   * beyond its top K) pools the same way, against that bucket.
   */
  alignedCounts(): { reference: Float64Array; current: Float64Array; labels: string[] } {
    const k = this.counts.length;
    const pooled = this.unseen.has(OVERFLOW_CATEGORY) || this.reference.other > 0;
    const extra = pooled ? 1 : this.unseen.size;
    const reference = new Float64Array(k + extra);
    reference.set(this.reference.counts);
    const current = new Float64Array(k + extra);
    current.set(this.counts);
    const labels = [...this.reference.categories];
    if (pooled) {
      reference[k] = this.reference.other;
      current[k] = this.unseenCount;
      labels.push(OVERFLOW_CATEGORY);
      return { reference, current, labels };
    }
    let i = k;
    for (const key of [...this.unseen.keys()].sort()) {
      current[i++] = this.unseen.get(key) as number;
      labels.push(key);
    }
    return { reference, current, labels };
  }

  summary(): { count: number; missing: number; categories: number; unseen: number } {
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) if ((this.counts[i] as number) > 0) seen++;
    return {
      count: this.n,
      missing: this.missing,
      categories: seen + this.unseen.size,
      unseen: this.unseenCount,
    };
  }
}
