import type { ReferenceSample } from '../reference.js';
import { sortedIndexOf, type SortedIndex } from '../sorted-index.js';
import { addOffset, addSum, mergeSum, scalesOf } from './fixed-point.js';
import type { KsCellState } from './state.js';

/**
 * Where a window's KS cells are (see NumericAggregate): `held` — a small window keeps its
 * values, 8 bytes each, and places them only when asked; `sparse` — rebuilt from a state
 * (a decoded partial), the non-zero cells as listed; `dense` — 4 slots per reference value
 * (32(u + 1) bytes: 320 KB at u = 10,000). Counts and fixed-point sums add exactly in any
 * order, so every form gives the same cells, bit for bit; a window moves to `dense` once held
 * values would take as much room, or when a statistic or a merge of dense cells needs it.
 */
type Form = 'held' | 'sparse' | 'dense';

const FIRST_CAPACITY = 16;
const NO_VALUES = new Float64Array(0);

export class KsCells {
  private readonly values: Float64Array;
  private readonly index: SortedIndex;
  private readonly scales: Float64Array;
  /** Held values never take more room than the dense slots would: 4(u + 1) of them. */
  private readonly holdLimit: number;
  private form: Form = 'held';
  private held: Float64Array = NO_VALUES;
  private heldCount = 0;
  private sparse: readonly KsCellState[] = [];
  private slots: Float64Array | undefined;

  constructor(sample: ReferenceSample) {
    this.values = sample.values;
    this.index = sortedIndexOf(sample.values);
    this.scales = scalesOf(sample.values);
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
        const merged = mergeCellLists(this.sparse, other.sparse);
        // A list entry costs about twice a dense cell's 32 bytes: dense once it would be larger.
        if (2 * merged.length <= this.values.length) {
          this.restore(merged);
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
   * Cells rebuilt from a state (checked by the caller); the list is handed over, not copied
   * (cell objects are never changed in place, so lists may share them).
   */
  restore(cells: readonly KsCellState[]): void {
    this.form = 'sparse';
    this.sparse = cells;
    this.held = NO_VALUES;
    this.heldCount = 0;
    this.slots = undefined;
  }

  /** The non-zero cells, ascending k. Leaves the form as it is (an open window stays small). */
  states(): KsCellState[] {
    if (this.form === 'sparse') return this.sparse.map((c) => ({ ...c }));
    if (this.form === 'held') return this.heldStates();
    const slots = this.slots as Float64Array;
    const cells: KsCellState[] = [];
    for (let at = 0; at < slots.length; at += 4) {
      const below = slots[at] as number;
      const sumLo = slots[at + 1] as number;
      const sumHi = slots[at + 2] as number;
      const equal = slots[at + 3] as number;
      if (below !== 0 || sumLo !== 0 || sumHi !== 0 || equal !== 0) {
        cells.push({ k: at / 4, below, sumLo, sumHi, equal });
      }
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
    this.sparse = [];
    return slots;
  }

  /**
   * The slots as `dense` lays them out, without moving to that form: a closing window's
   * statistics read them once, and the window stays small until it is dropped.
   */
  view(): Float64Array {
    if (this.form === 'dense') return this.slots as Float64Array;
    if (this.form === 'held') return this.placedHeld();
    const slots = new Float64Array(4 * (this.values.length + 1));
    addCells(slots, this.sparse);
    return slots;
  }

  /** Bytes this window's cells take now (tests check the memory bound with it). */
  get bytes(): number {
    return this.form === 'dense'
      ? (this.slots as Float64Array).byteLength
      : this.form === 'held'
        ? this.held.byteLength
        : this.sparse.length * 48;
  }

  /**
   * The held values' cells without dense slots (stage 1 hands every model's windows on at
   * once): in ascending order the values visit the cells in ascending k.
   */
  private heldStates(): KsCellState[] {
    const { values, index, scales } = this;
    const sorted = this.held.slice(0, this.heldCount).sort();
    const out: KsCellState[] = [];
    const words = new Float64Array(2);
    let cell: KsCellState | undefined;
    const flush = () => {
      if (cell === undefined) return;
      cell.sumLo = words[0] as number;
      cell.sumHi = words[1] as number;
      out.push(cell);
    };
    for (let i = 0; i < sorted.length; i++) {
      const x = sorted[i] as number;
      const k = index.countAtMost(x);
      const equal = k > 0 && values[k - 1] === x;
      const at = equal ? k - 1 : k;
      if (cell === undefined || cell.k !== at) {
        flush();
        cell = { k: at, below: 0, sumLo: 0, sumHi: 0, equal: 0 };
        words[0] = 0;
        words[1] = 0;
      }
      if (equal) cell.equal++;
      else {
        cell.below++;
        if (k > 0 && k < values.length) {
          addOffset(words, 0, x - (values[k - 1] as number), scales[k] as number);
        }
      }
    }
    flush();
    return out;
  }

  private placedHeld(): Float64Array {
    const slots = new Float64Array(4 * (this.values.length + 1));
    for (let i = 0; i < this.heldCount; i++) this.place(slots, this.held[i] as number);
    return slots;
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
    const k = this.index.countAtMost(x);
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
    if (k < values.length) addOffset(slots, 4 * k + 1, x - below, this.scales[k] as number);
  }
}

/** Listed cells added into dense slots (into zeroed slots: the same as copying them). */
function addCells(slots: Float64Array, cells: readonly KsCellState[]): void {
  for (const { k, below, sumLo, sumHi, equal } of cells) {
    const at = 4 * k;
    slots[at] = (slots[at] as number) + below;
    addSum(slots, at + 1, sumLo, sumHi);
    slots[at + 3] = (slots[at + 3] as number) + equal;
  }
}

/** Two ascending cell lists added cell by cell (the same additions as on dense slots). */
function mergeCellLists(a: readonly KsCellState[], b: readonly KsCellState[]): KsCellState[] {
  const out: KsCellState[] = [];
  const words = new Float64Array(2);
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && x.k < y.k)) {
      out.push(x as KsCellState);
      i++;
    } else if (x === undefined || y.k < x.k) {
      out.push(y);
      j++;
    } else {
      words[0] = x.sumLo;
      words[1] = x.sumHi;
      addSum(words, 0, y.sumLo, y.sumHi);
      out.push({
        k: x.k,
        below: x.below + y.below,
        sumLo: words[0],
        sumHi: words[1],
        equal: x.equal + y.equal,
      });
      i++;
      j++;
    }
  }
  return out;
}
