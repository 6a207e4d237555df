import { DetectorInputError } from '../errors.js';
import { isSum } from './fixed-point.js';
import type { OutOfRangeState } from './out-of-range.js';

/**
 * Plain-data states of the window aggregates: everything an aggregate holds, so one rebuilt
 * from its state (`fromState`) gives bit-identical statistics and merges. The scale-out ships
 * them between replicas (src/partials); the checks below guard the invariants the statistics
 * rely on, since a state may come from outside the process.
 */

/** One source's float accumulators (see SourceFloats in numeric.ts). */
export interface SourceFloatsState {
  source: number;
  n: number;
  mean: number;
  m2: number;
  min: number;
  max: number;
  below: number;
  above: number;
}

/**
 * KS cells, packed: CELL_STRIDE float64 per cell of reference index k — k, the count in the
 * open interval below value k, that interval's fixed-point offset sum (two words: lo, hi), the
 * count equal to value k — ascending k. Only cells with a non-zero slot are listed: a
 * 10,000-value reference sample has 40,004 slots, a small window touches few. Packed rather
 * than one object per cell: a fleet's stage 2 holds hundreds of thousands of them.
 */
export const CELL_STRIDE = 5;

/** Calls `visit` with each packed cell's fields, in order. */
export function forEachCell(
  cells: Float64Array,
  visit: (k: number, below: number, sumLo: number, sumHi: number, equal: number) => void,
): void {
  for (let c = 0; c < cells.length; c += CELL_STRIDE) {
    visit(
      cells[c] as number,
      cells[c + 1] as number,
      cells[c + 2] as number,
      cells[c + 3] as number,
      cells[c + 4] as number,
    );
  }
}

/**
 * A window's KS side: its values while it holds them (any order; a small window, see
 * KsCells), else its non-zero cells. Two windows with the same values may be in different
 * forms; the cells, and everything read from them, are the same.
 */
export type KsState =
  { form: 'held'; values: Float64Array } | { form: 'cells'; cells: Float64Array };

export interface NumericAggregateState {
  kind: 'numeric';
  count: number;
  missing: number;
  nonFinite: number;
  binCounts: Float64Array;
  /** Without a reference sample: no cells. */
  ks: KsState;
  /** Ascending source. */
  sources: SourceFloatsState[];
  /**
   * Values outside the training range; undefined when unknown (a partial of an older format,
   * or a baseline without a range).
   */
  outOfRange: OutOfRangeState | undefined;
}

export interface CategoricalAggregateState {
  kind: 'categorical';
  missing: number;
  /** Per baseline category. */
  counts: Float64Array;
  /** Unseen categories in the order the aggregate met them (the overflow bucket included). */
  unseen: [string, number][];
}

export type FeatureAggregateState = NumericAggregateState | CategoricalAggregateState;

const NUMERIC = 'NumericAggregate.fromState';
const CATEGORICAL = 'CategoricalAggregate.fromState';

function check(fn: string, ok: boolean, message: string): void {
  if (!ok) throw new DetectorInputError(fn, message);
}

/** An integer in [0, 2^53): every count the aggregates keep. */
function isCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

function checkCount(fn: string, what: string, value: number): void {
  check(fn, isCount(value), `${what} must be a non-negative integer, got ${value}`);
}

/** Checks `counts` has `length` counts; returns their sum. */
function checkCounts(fn: string, what: string, counts: Float64Array, length: number): number {
  check(fn, counts.length === length, `${what} has ${counts.length} entries, expected ${length}`);
  let sum = 0;
  for (let i = 0; i < counts.length; i++) {
    checkCount(fn, `${what}[${i}]`, counts[i] as number);
    sum += counts[i] as number;
  }
  return sum;
}

/** Indices and source ids are kept in order, each once. */
function checkAscending(fn: string, what: string, values: readonly number[]): void {
  for (let i = 1; i < values.length; i++) {
    check(
      fn,
      (values[i] as number) > (values[i - 1] as number),
      `${what} must ascend (entry ${i})`,
    );
  }
}

/**
 * Throws DetectorInputError unless `state` could have come from a NumericAggregate with `bins`
 * bins and a reference sample of `sampleValues` distinct values (undefined: none): every
 * count a count, and the bins, the KS cells and the sources all counting `count` values.
 */
export function checkNumericState(
  state: NumericAggregateState,
  bins: number,
  sampleValues: number | undefined,
): void {
  const fn = NUMERIC;
  for (const key of ['count', 'missing', 'nonFinite'] as const) checkCount(fn, key, state[key]);
  const binned = checkCounts(fn, 'binCounts', state.binCounts, bins);
  check(fn, binned === state.count, `bin counts sum to ${binned}, count is ${state.count}`);
  checkKs(state.ks, sampleValues ?? -1, state.count);
  checkAscending(
    fn,
    'sources',
    state.sources.map((s) => s.source),
  );
  let n = 0;
  for (const floats of state.sources) {
    checkCount(fn, 'source', floats.source);
    checkCount(fn, `n of source ${floats.source}`, floats.n);
    n += floats.n;
  }
  check(fn, n === state.count, `sources count ${n} values, count is ${state.count}`);
  const range = state.outOfRange;
  if (range !== undefined) {
    for (const key of ['belowMin', 'aboveMax', 'belowLow', 'aboveHigh'] as const) {
      const value = range[key];
      checkCount(fn, key, value);
      check(fn, value <= state.count, `${key} is ${value}, count is ${state.count}`);
    }
  }
}

/** `u`: distinct reference values (−1: no reference sample, so no cells). */
function checkKs(ks: KsState, u: number, count: number): void {
  const fn = NUMERIC;
  if (ks.form === 'held') {
    check(fn, u >= 0, 'KS values without a reference sample');
    check(fn, ks.values.length === count, `KS holds ${ks.values.length} values, count is ${count}`);
    check(fn, ks.values.length <= 4 * (u + 1), 'KS holds more values than its cells would take');
    for (let i = 0; i < ks.values.length; i++) {
      check(fn, Number.isFinite(ks.values[i]), `KS value ${i} is not finite`);
    }
    return;
  }
  const cells = ks.cells;
  if (u < 0) {
    check(fn, cells.length === 0, 'KS cells without a reference sample');
    return;
  }
  check(fn, cells.length % CELL_STRIDE === 0, 'KS cells are not whole cells');
  let counted = 0;
  let previous = -1;
  let entry = 0;
  forEachCell(cells, (k, below, sumLo, sumHi, equal) => {
    check(fn, Number.isInteger(k) && k >= 0 && k <= u, `KS cell ${k} outside 0..${u}`);
    check(fn, k > previous, `KS cells must ascend (entry ${entry++})`);
    previous = k;
    checkCount(fn, `KS cell ${k} below`, below);
    checkCount(fn, `KS cell ${k} equal`, equal);
    // The end intervals are unbounded: their offsets are floats kept per source.
    const inner = k > 0 && k < u;
    check(
      fn,
      inner ? isSum(sumLo, sumHi) : sumLo === 0 && sumHi === 0,
      `KS cell ${k} has an invalid offset sum`,
    );
    check(fn, k < u || equal === 0, `KS cell ${u} counts values equal to no reference value`);
    counted += below + equal;
  });
  check(fn, counted === count, `KS cells count ${counted} values, count is ${count}`);
}

/**
 * Throws DetectorInputError unless `state` could have come from a CategoricalAggregate over
 * these `categories`: counts per category, unseen categories distinct, absent from the
 * baseline and within the cap (the overflow bucket only as the one beyond it).
 */
export function checkCategoricalState(
  state: CategoricalAggregateState,
  categories: ReadonlyMap<string, number>,
  maxUnseen: number,
  overflow: string,
): void {
  const fn = CATEGORICAL;
  checkCount(fn, 'missing', state.missing);
  checkCounts(fn, 'counts', state.counts, categories.size);
  const keys = new Set<string>();
  for (const [key, count] of state.unseen) {
    check(fn, !categories.has(key), `unseen category ${JSON.stringify(key)} is a baseline one`);
    check(fn, !keys.has(key), `unseen category ${JSON.stringify(key)} appears twice`);
    check(fn, isCount(count) && count > 0, `unseen category count ${count}`);
    keys.add(key);
  }
  check(
    fn,
    keys.size <= maxUnseen || (keys.size === maxUnseen + 1 && keys.has(overflow)),
    `${keys.size} unseen categories, at most ${maxUnseen} plus the overflow bucket`,
  );
}
