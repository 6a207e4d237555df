import type { ReferenceSample } from '../reference.js';
import { sortedCopy } from '../sort.js';
import { sortedIndexOf, type SortedIndex } from '../sorted-index.js';
import { addOffset, addSum, mergeSum, scaleOf, scalesOf } from './fixed-point.js';
import {
  ksStatisticOfCells,
  ksStatisticOfSlots,
  ksStatisticOfSorted,
  walkCells,
} from './ks-statistic.js';
import { CELL_STRIDE as S, type KsState } from './state.js';

/**
 * Where a window's KS cells are (see NumericAggregate): `held` — a small window keeps its
 * values, 8 bytes each, and places them only when asked; `sparse` — rebuilt from a state
 * (a decoded partial), the non-zero cells packed as listed; `dense` — 4 slots per reference
 * value (32(u + 1) bytes: 320 KB at u = 10,000). Counts and fixed-point sums add exactly in
 * any order, so every form gives the same cells, bit for bit; a window moves to `dense` once
 * held values would take as much room, or when a merge of dense cells needs it.
 */
type Form = 'held' | 'sparse' | 'dense';

const FIRST_CAPACITY = 16;
const NO_VALUES = new Float64Array(0);

export class KsCells {
  private readonly values: Float64Array;
  /**
   * The reference's per-value index and interval scales (8 + 8 bytes per reference value,
   * shared by every window against it) are needed only to place values into slots: a fleet
   * whose windows stay held never builds them.
   */
  private placing: { index: SortedIndex; scales: Float64Array } | undefined;
  /** Held values never take more room than the dense slots would: 4(u + 1) of them. */
  private readonly holdLimit: number;
  private form: Form = 'held';
  private held: Float64Array = NO_VALUES;
  private heldCount = 0;
  private sparse: Float64Array = NO_VALUES;
  private slots: Float64Array | undefined;

  constructor(sample: ReferenceSample) {
    this.values = sample.values;
    this.holdLimit = 4 * (sample.values.length + 1);
  }

  add(x: number): void {
    if (this.form === 'held') {
      if (this.heldCount < this.held.length) {
        this.held[this.heldCount++] = x;
        return;
      }
      if (this.heldCount < this.holdLimit) {
        this.grow(this.heldCount + 1);
        this.held[this.heldCount++] = x;
        return;
      }
    }
    this.place(this.dense(), x);
  }

  merge(other: KsCells): void {
    if (other.form === 'held') {
      if (other.heldCount === 0) return;
      const total = this.heldCount + other.heldCount;
      if (this.form === 'held' && total <= this.holdLimit) {
        this.grow(total);
        this.held.set(other.held.subarray(0, other.heldCount), this.heldCount);
        this.heldCount = total;
        return;
      }
      const slots = this.dense();
      for (let i = 0; i < other.heldCount; i++) this.place(slots, other.held[i] as number);
    } else if (other.form === 'sparse') {
      if (this.form === 'sparse' || (this.form === 'held' && this.heldCount === 0)) {
        const merged = mergeCells(this.sparse, other.sparse);
        // 40 bytes a listed cell against 32 a dense one: dense once it would be smaller.
        if (2 * (merged.length / S) <= this.values.length) {
          this.sparse = merged;
          this.form = 'sparse';
          return;
        }
      }
      addCells(this.dense(), other.sparse);
    } else {
      const theirs = other.slots as Float64Array;
      const slots = this.dense();
      for (let at = 0; at < slots.length; at += 4) {
        slots[at] = (slots[at] as number) + (theirs[at] as number);
        mergeSum(slots, theirs, at + 1);
        slots[at + 3] = (slots[at + 3] as number) + (theirs[at + 3] as number);
      }
    }
  }

  /**
   * The form a state (checked by the caller) describes; its arrays are handed over, not
   * copied (a decoded state is not used again; packed cells are never changed in place).
   */
  restore(state: KsState): void {
    this.slots = undefined;
    if (state.form === 'held') {
      this.form = 'held';
      this.held = state.values;
      this.heldCount = state.values.length;
      this.sparse = NO_VALUES;
    } else {
      this.form = state.cells.length > 0 ? 'sparse' : 'held';
      this.sparse = state.cells;
      this.held = NO_VALUES;
      this.heldCount = 0;
    }
  }

  /**
   * As plain data (a copy; held values ascending, so the state does not depend on the order
   * they came in). Leaves the form as it is (an open window stays small).
   */
  state(): KsState {
    if (this.form === 'held') {
      return { form: 'held', values: sortedCopy(this.held.subarray(0, this.heldCount)) };
    }
    return {
      form: 'cells',
      cells: this.form === 'sparse' ? this.sparse.slice() : this.denseCells(),
    };
  }

  /** The non-zero cells, packed, whatever the form (for reading only). */
  cells(): Float64Array {
    if (this.form === 'sparse') return this.sparse;
    return this.form === 'held' ? this.heldCells() : this.denseCells();
  }

  /**
   * The KS statistic against `sample` (the one these cells were built for) over `n` values,
   * read from whichever form the cells are in, without moving or densifying them.
   */
  ksStatistic(sample: ReferenceSample, n: number): number {
    if (this.form === 'held') {
      return ksStatisticOfSorted(sample, sortedCopy(this.held.subarray(0, this.heldCount)), n);
    }
    if (this.form === 'sparse') return ksStatisticOfCells(sample, this.sparse, n);
    return ksStatisticOfSlots(sample, this.slots as Float64Array, n);
  }

  private denseCells(): Float64Array {
    const slots = this.slots as Float64Array;
    let listed = 0;
    for (let at = 0; at < slots.length; at += 4) if (nonZero(slots, at)) listed++;
    const cells = new Float64Array(listed * S);
    let c = 0;
    for (let at = 0; at < slots.length; at += 4) {
      if (!nonZero(slots, at)) continue;
      cells[c] = at / 4;
      cells.set(slots.subarray(at, at + 4), c + 1);
      c += S;
    }
    return cells;
  }

  /**
   * The dense slots, kept from now on: per reference value k, [4k] the count in the open
   * interval below value k (k = u: above the last), [4k+1], [4k+2] that interval's offset sum
   * in fixed point, [4k+3] the count equal to value k.
   */
  private dense(): Float64Array {
    if (this.form === 'dense') return this.slots as Float64Array;
    const slots = this.view();
    this.form = 'dense';
    this.slots = slots;
    this.held = NO_VALUES;
    this.heldCount = 0;
    this.sparse = NO_VALUES;
    return slots;
  }

  /**
   * The slots as `dense` lays them out, without moving to that form: a closing window's
   * statistics read them once, and the window stays small until it is dropped.
   */
  view(): Float64Array {
    if (this.form === 'dense') return this.slots as Float64Array;
    const slots = new Float64Array(4 * (this.values.length + 1));
    if (this.form === 'held') {
      for (let i = 0; i < this.heldCount; i++) this.place(slots, this.held[i] as number);
    } else addCells(slots, this.sparse);
    return slots;
  }

  /** Bytes this window's cells take now (tests check the memory bound with it). */
  get bytes(): number {
    return this.form === 'dense'
      ? (this.slots as Float64Array).byteLength
      : this.form === 'held'
        ? this.held.byteLength
        : this.sparse.byteLength;
  }

  /**
   * The held values' cells without dense slots or the reference's index: in ascending order
   * the values visit the cells in ascending k, each search starting where the last ended.
   */
  private heldCells(): Float64Array {
    const values = this.values;
    const u = values.length;
    const sorted = sortedCopy(this.held.subarray(0, this.heldCount));
    const out = new Float64Array(sorted.length * S);
    let c = -S;
    let cellK = -1;
    let scale = 0;
    walkCells(values, sorted, (at, equal, k, x) => {
      if (at !== cellK) {
        c += S;
        out[c] = at;
        cellK = at;
        if (!equal && k > 0 && k < u) {
          scale = scaleOf((values[k] as number) - (values[k - 1] as number));
        }
      }
      if (equal) out[c + 4] = (out[c + 4] as number) + 1;
      else {
        out[c + 1] = (out[c + 1] as number) + 1;
        if (k > 0 && k < u) addOffset(out, c + 2, x - (values[k - 1] as number), scale);
      }
    });
    return c + S === out.length ? out : out.slice(0, c + S);
  }

  private grow(needed: number): void {
    if (needed <= this.held.length) return;
    let capacity = Math.max(FIRST_CAPACITY, this.held.length);
    while (capacity < needed) capacity *= 2;
    const held = new Float64Array(Math.min(capacity, this.holdLimit));
    held.set(this.held.subarray(0, this.heldCount));
    this.held = held;
  }

  /** One value into the slots (its offset sum only inside the sample's range). */
  private place(slots: Float64Array, x: number): void {
    const values = this.values;
    this.placing ??= { index: sortedIndexOf(values), scales: scalesOf(values) };
    const { index, scales } = this.placing;
    const k = index.countAtMost(x);
    if (k === 0) {
      slots[0] = (slots[0] as number) + 1;
      return;
    }
    const below = values[k - 1] as number;
    if (below === x) {
      slots[4 * k - 1] = (slots[4 * k - 1] as number) + 1;
      return;
    }
    slots[4 * k] = (slots[4 * k] as number) + 1;
    if (k < values.length) addOffset(slots, 4 * k + 1, x - below, scales[k] as number);
  }
}

function nonZero(slots: Float64Array, at: number): boolean {
  return slots[at] !== 0 || slots[at + 1] !== 0 || slots[at + 2] !== 0 || slots[at + 3] !== 0;
}

/** Packed cells added into dense slots (into zeroed slots: the same as copying them). */
function addCells(slots: Float64Array, cells: Float64Array): void {
  for (let c = 0; c < cells.length; c += S) {
    const at = 4 * (cells[c] as number);
    slots[at] = (slots[at] as number) + (cells[c + 1] as number);
    addSum(slots, at + 1, cells[c + 2] as number, cells[c + 3] as number);
    slots[at + 3] = (slots[at + 3] as number) + (cells[c + 4] as number);
  }
}

/** Two ascending packed cell lists added cell by cell (the same additions as on dense slots). */
function mergeCells(a: Float64Array, b: Float64Array): Float64Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out = new Float64Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let o = 0;
  while (i < a.length || j < b.length) {
    const x = i < a.length ? (a[i] as number) : Infinity;
    const y = j < b.length ? (b[j] as number) : Infinity;
    if (x < y) {
      out.set(a.subarray(i, i + S), o);
      i += S;
    } else if (y < x) {
      out.set(b.subarray(j, j + S), o);
      j += S;
    } else {
      out[o] = x;
      out[o + 1] = (a[i + 1] as number) + (b[j + 1] as number);
      out[o + 2] = a[i + 2] as number;
      out[o + 3] = a[i + 3] as number;
      addSum(out, o + 2, b[j + 2] as number, b[j + 3] as number);
      out[o + 4] = (a[i + 4] as number) + (b[j + 4] as number);
      i += S;
      j += S;
    }
    o += S;
  }
  return o === out.length ? out : out.slice(0, o);
}
