import { sortedCopy } from '../sort.js';

/**
 * A growable list of scores in a Float64Array: the window side of ROC AUC, which needs every
 * (score, class) pair to be exact. Doubling keeps appends amortised O(1) without a per-value
 * allocation.
 */
export class ScoreList {
  private values = new Float64Array(16);
  length = 0;

  push(x: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = x;
  }

  append(other: ScoreList): void {
    const length = this.length + other.length;
    if (length > this.values.length) {
      const grown = new Float64Array(Math.max(length, this.values.length * 2));
      grown.set(this.values.subarray(0, this.length));
      this.values = grown;
    }
    this.values.set(other.values.subarray(0, other.length), this.length);
    this.length = length;
  }

  /** The scores in the order added (a view: copy before changing the list). */
  view(): Float64Array {
    return this.values.subarray(0, this.length);
  }

  static of(values: Float64Array): ScoreList {
    const list = new ScoreList();
    list.values = Float64Array.from(values);
    list.length = values.length;
    if (list.values.length === 0) list.values = new Float64Array(16);
    return list;
  }

  /** The scores so far, ascending (a copy). */
  sorted(): Float64Array {
    return sortedCopy(this.values.subarray(0, this.length));
  }

  /** Bytes held, for the memory figures the daemon reports. */
  get bytes(): number {
    return this.values.byteLength;
  }
}

/**
 * ROC AUC as the Mann–Whitney statistic: the share of (positive, negative) pairs ranked the
 * right way round, a tie counting one half — the area under the trapezoidal ROC curve that
 * scikit-learn's roc_auc_score computes. Both lists ascending; O(P + N) after the sort.
 */
export function rocAucSorted(positives: Float64Array, negatives: Float64Array): number | null {
  const p = positives.length;
  const n = negatives.length;
  if (p === 0 || n === 0) return null;
  let below = 0; // negatives strictly below the current positive score
  let equal = 0; // negatives equal to it
  let pairs = 0; // right-way pairs, doubled so that a tie adds 1
  let j = 0;
  for (let i = 0; i < p; i++) {
    const s = positives[i] as number;
    if (i > 0 && s === positives[i - 1]) {
      pairs += 2 * below + equal;
      continue;
    }
    below += equal;
    equal = 0;
    while (j < n && (negatives[j] as number) < s) {
      below++;
      j++;
    }
    // `below` already counts the previous score's ties, which are below s now.
    while (j < n && negatives[j] === s) {
      equal++;
      j++;
    }
    pairs += 2 * below + equal;
  }
  return pairs / 2 / (p * n);
}
