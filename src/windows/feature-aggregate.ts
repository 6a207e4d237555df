import { binIndex, psi, toProportions } from '../../detectors/index.js';
import { categoryKey, type FeatureBaseline } from '../baseline/baseline.js';
import type { FeatureValue } from '../ingest/prediction-log.js';

/** Distinct unseen categories kept per feature and window; later ones share one bucket. */
export const MAX_UNSEEN_CATEGORIES = 1_000;
const OVERFLOW_CATEGORY = '\u0000other';

/** Per-feature counts of one window: bin counts against the baseline, plus missing values. */
export class FeatureAggregate {
  readonly baseline: FeatureBaseline;
  /** One count per baseline bin (numeric) or baseline category (categorical). */
  readonly counts: Float64Array;
  /** Categories seen in the window but absent from the baseline. */
  private unseen: Map<string, number> | undefined;
  /** null/absent values, and values of the wrong type for the baseline (e.g. text for numeric). */
  missing = 0;

  constructor(baseline: FeatureBaseline) {
    this.baseline = baseline;
    this.counts = new Float64Array(baseline.proportions.length);
  }

  add(value: FeatureValue | undefined): void {
    if (value === null || value === undefined) {
      this.missing++;
      return;
    }
    const b = this.baseline;
    if (b.kind === 'numeric') {
      if (typeof value !== 'number') {
        this.missing++;
        return;
      }
      const i = binIndex(b.cuts, value);
      this.counts[i] = (this.counts[i] as number) + 1;
      return;
    }
    const key = categoryKey(value);
    const i = b.index.get(key);
    if (i !== undefined) {
      this.counts[i] = (this.counts[i] as number) + 1;
    } else {
      this.unseen ??= new Map();
      const slot =
        this.unseen.has(key) || this.unseen.size < MAX_UNSEEN_CATEGORIES ? key : OVERFLOW_CATEGORY;
      this.unseen.set(slot, (this.unseen.get(slot) ?? 0) + 1);
    }
  }

  /** Non-missing values counted. */
  get n(): number {
    let n = 0;
    for (const c of this.counts) n += c;
    if (this.unseen) for (const c of this.unseen.values()) n += c;
    return n;
  }

  /** PSI against the baseline; categories new in the window get ε as baseline proportion. */
  psi(epsilon: number): number {
    if (!this.unseen || this.unseen.size === 0) {
      return psi(this.baseline.proportions, toProportions(this.counts), epsilon);
    }
    const extra = this.unseen.size;
    const expected = new Float64Array(this.counts.length + extra);
    expected.set(this.baseline.proportions);
    const actualCounts = new Float64Array(this.counts.length + extra);
    actualCounts.set(this.counts);
    let i = this.counts.length;
    for (const c of this.unseen.values()) actualCounts[i++] = c;
    return psi(expected, toProportions(actualCounts), epsilon);
  }
}
