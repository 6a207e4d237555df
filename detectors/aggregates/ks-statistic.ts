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
