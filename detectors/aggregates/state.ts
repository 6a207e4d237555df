import { DetectorInputError } from '../errors.js';
import { isSum } from './fixed-point.js';

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
 * The KS cells of reference index k (see NumericAggregate's `cells`): the count in the open
 * interval below value k, that interval's fixed-point offset sum (two words), the count equal
 * to value k. Only cells with a non-zero slot appear: a 10,000-value reference sample has
 * 40,004 slots, a small window touches few.
 */
export interface KsCellState {
  k: number;
  below: number;
  sumLo: number;
  sumHi: number;
  equal: number;
}

export interface NumericAggregateState {
  kind: 'numeric';
  count: number;
  missing: number;
  nonFinite: number;
  binCounts: Float64Array;
  /** Ascending k. */
  cells: KsCellState[];
  /** Ascending source. */
  sources: SourceFloatsState[];
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
  checkCells(state.cells, sampleValues ?? -1, state.count);
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
}

/** `u`: distinct reference values (−1: no reference sample, so no cells). */
function checkCells(cells: readonly KsCellState[], u: number, count: number): void {
  const fn = NUMERIC;
  if (u < 0) {
    check(fn, cells.length === 0, 'KS cells without a reference sample');
    return;
  }
  checkAscending(
    fn,
    'KS cells',
    cells.map((c) => c.k),
  );
  let counted = 0;
  for (const { k, below, sumLo, sumHi, equal } of cells) {
    check(fn, Number.isInteger(k) && k >= 0 && k <= u, `KS cell ${k} outside 0..${u}`);
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
  }
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
