import type { ReferenceSample } from '../reference.js';
import { CELL_STRIDE as S } from './state.js';

/**
 * The KS statistic from a window's non-zero cells (packed, ascending k) without laying out a slot per
 * reference value: O(cells), where the dense walk is O(reference size) and needs 32 bytes per
 * reference value of scratch. Bit-identical to that walk: between two listed cells the window
 * ECDF is flat and the reference ECDF rises, so inside a gap the difference only grows — the
 * walk's extremes are among the points read here (a gap's last reference value, and every
 * listed cell's), each computed by the same expression.
 */
export function ksStatisticOfCells(
  sample: ReferenceSample,
  cells: Float64Array,
  n: number,
): number {
  const { cumulative, size: nRef } = sample;
  const u = sample.values.length;
  let w = 0;
  let max = 0;
  let min = 0;
  const at = (k: number) => {
    const d = (cumulative[k] as number) / nRef - w / n;
    if (d > max) max = d;
    else if (d < min) min = d;
  };
  // Reference values k in [from, to) that no cell lists: only the last can be an extreme.
  const gap = (from: number, to: number) => {
    if (from < to) at(to - 1);
  };
  let next = 0;
  for (let c = 0; c < cells.length; c += S) {
    const k = cells[c] as number;
    const below = cells[c + 1] as number;
    const equal = cells[c + 4] as number;
    gap(next, Math.min(k, u));
    if (below > 0) {
      w += below;
      const d = (k === 0 ? 0 : (cumulative[k - 1] as number)) / nRef - w / n;
      if (d < min) min = d;
      else if (d > max) max = d;
    }
    if (k === u) {
      next = u;
      break;
    }
    w += equal;
    at(k);
    next = k + 1;
  }
  gap(next, u);
  const minS = Math.min(-min, 1);
  return minS > max ? minS : max;
}

/**
 * The same statistic from a held window's values, ascending, without listing its cells (no
 * offset sums, nothing allocated): each run of values in one cell is counted as it is walked,
 * and the cell then read exactly as ksStatisticOfCells reads a listed one.
 */
export function ksStatisticOfSorted(
  sample: ReferenceSample,
  sorted: Float64Array,
  n: number,
): number {
  const { values, cumulative, size: nRef } = sample;
  const u = values.length;
  let w = 0;
  let max = 0;
  let min = 0;
  let next = 0;
  let cellK = -1;
  let below = 0;
  let equal = 0;
  const at = (k: number) => {
    const d = (cumulative[k] as number) / nRef - w / n;
    if (d > max) max = d;
    else if (d < min) min = d;
  };
  const flush = () => {
    if (cellK < 0) return;
    if (next < cellK && next < u) at(Math.min(cellK, u) - 1);
    if (below > 0) {
      w += below;
      const d = (cellK === 0 ? 0 : (cumulative[cellK - 1] as number)) / nRef - w / n;
      if (d < min) min = d;
      else if (d > max) max = d;
    }
    if (cellK === u) {
      next = u;
      return;
    }
    w += equal;
    at(cellK);
    next = cellK + 1;
  };
  walkCells(values, sorted, (cell, isEqual) => {
    if (cell !== cellK) {
      flush();
      cellK = cell;
      below = 0;
      equal = 0;
    }
    if (isEqual) equal++;
    else below++;
  });
  flush();
  if (next < u) at(u - 1);
  const minS = Math.min(-min, 1);
  return minS > max ? minS : max;
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
