import type { ReferenceSample } from '../reference.js';
import { CELL_STRIDE as S } from './state.js';

/**
 * The KS statistic from a window's non-zero cells in ascending k, without laying out a slot per
 * reference value: O(cells), where the dense walk is O(reference size) and needs 32 bytes per
 * reference value of scratch. Bit-identical to that walk: between two listed cells the window
 * ECDF is flat and the reference ECDF rises, so inside a gap the difference only grows — the
 * walk's extremes are among the points read here (a gap's last reference value, and every
 * listed cell's), each computed by the same expression. One walk for listed cells and for a
 * held window's values; its state lives in fields, not in variables closures capture (those
 * cost a held window's walk a third more time).
 */
class KsWalk {
  private readonly cumulative: ReferenceSample['cumulative'];
  private readonly nRef: number;
  private readonly u: number;
  private w = 0;
  private max = 0;
  private min = 0;
  /** The first reference value not yet read. */
  private next = 0;

  constructor(
    sample: ReferenceSample,
    private readonly n: number,
  ) {
    this.cumulative = sample.cumulative;
    this.nRef = sample.size;
    this.u = sample.values.length;
  }

  /** Cell k: `below` window values in the open interval below reference value k, `equal` at it. */
  cell(k: number, below: number, equal: number): void {
    const { cumulative, nRef, n, u } = this;
    this.gap(Math.min(k, u));
    if (below > 0) {
      this.w += below;
      const d = (k === 0 ? 0 : (cumulative[k - 1] as number)) / nRef - this.w / n;
      if (d < this.min) this.min = d;
      else if (d > this.max) this.max = d;
    }
    if (k === u) {
      // Above the last reference value: no cell follows.
      this.next = u;
      return;
    }
    this.w += equal;
    this.at(k);
    this.next = k + 1;
  }

  statistic(): number {
    this.gap(this.u);
    const minS = Math.min(-this.min, 1);
    return minS > this.max ? minS : this.max;
  }

  private at(k: number): void {
    const d = (this.cumulative[k] as number) / this.nRef - this.w / this.n;
    if (d > this.max) this.max = d;
    else if (d < this.min) this.min = d;
  }

  /** Reference values k in [next, to) that no cell lists: only the last can be an extreme. */
  private gap(to: number): void {
    if (this.next < to) this.at(to - 1);
  }
}

/** The statistic from packed cells (CELL_STRIDE per cell, ascending k). */
export function ksStatisticOfCells(
  sample: ReferenceSample,
  cells: Float64Array,
  n: number,
): number {
  const walk = new KsWalk(sample, n);
  for (let c = 0; c < cells.length; c += S) {
    walk.cell(cells[c] as number, cells[c + 1] as number, cells[c + 4] as number);
  }
  return walk.statistic();
}

/**
 * The statistic from dense slots (4 per reference value, see KsCells): the cells that hold
 * something, read as listed ones; nothing allocated.
 */
export function ksStatisticOfSlots(
  sample: ReferenceSample,
  slots: Float64Array,
  n: number,
): number {
  const walk = new KsWalk(sample, n);
  for (let at = 0; at < slots.length; at += 4) {
    const below = slots[at] as number;
    const equal = slots[at + 3] as number;
    if (below !== 0 || equal !== 0) walk.cell(at / 4, below, equal);
  }
  return walk.statistic();
}

/**
 * The same statistic from a held window's values, ascending, without listing its cells (no
 * offset sums, nothing allocated): each run of values in one cell is counted as it is walked,
 * and the cell then read exactly as a listed one.
 */
export function ksStatisticOfSorted(
  sample: ReferenceSample,
  sorted: Float64Array,
  n: number,
): number {
  const walk = new KsWalk(sample, n);
  let cellK = -1;
  let below = 0;
  let equal = 0;
  walkCells(sample.values, sorted, (cell, isEqual) => {
    if (cell !== cellK) {
      if (cellK >= 0) walk.cell(cellK, below, equal);
      cellK = cell;
      below = 0;
      equal = 0;
    }
    if (isEqual) equal++;
    else below++;
  });
  if (cellK >= 0) walk.cell(cellK, below, equal);
  return walk.statistic();
}

/**
 * Walks a window's values, ascending, through the reference's cells: per value its cell (the
 * reference value it equals, else the interval below reference value k), whether it equals
 * one, k = #reference values <= x, and x. Each search starts where the last ended.
 */
export function walkCells(
  values: Float64Array,
  sorted: Float64Array,
  visit: (cell: number, equal: boolean, k: number, x: number) => void,
): void {
  let k = 0;
  for (let i = 0; i < sorted.length; i++) {
    const x = sorted[i] as number;
    k = countAtMostFrom(values, x, k);
    const equal = k > 0 && values[k - 1] === x;
    visit(equal ? k - 1 : k, equal, k, x);
  }
}

/**
 * #values <= x for ascending `values`, knowing it is at least `from`: a few single steps
 * (sorted lookups mostly move a few places, and a step is cheaper than a galloping one), then
 * galloping from there and a binary search, so a sorted run of h lookups costs O(h log(u / h)).
 */
export function countAtMostFrom(values: Float64Array, x: number, from: number): number {
  const u = values.length;
  const stop = Math.min(u, from + 8);
  let k = from;
  while (k < stop && (values[k] as number) <= x) k++;
  if (k < stop || k === u || k === from) return k;
  // values[k − 1] <= x, values[k] not read yet.
  let lo = k - 1;
  let step = 1;
  let hi = k;
  while (hi < u && (values[hi] as number) <= x) {
    lo = hi;
    step *= 2;
    hi = lo + step;
  }
  if (hi > u) hi = u;
  // values[lo] <= x; values[hi] > x or hi = u.
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] as number) <= x) lo = mid;
    else hi = mid;
  }
  return hi;
}
