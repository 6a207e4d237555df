import { describe, expect, it } from 'vitest';
import {
  CategoricalAggregate,
  CELL_STRIDE,
  DetectorInputError,
  MAX_UNSEEN_CATEGORIES,
  NumericAggregate,
  OVERFLOW_CATEGORY,
  toReferenceSample,
  type CategoricalAggregateState,
  type CategoricalReference,
  type NumericAggregateState,
  type NumericReference,
} from '../../detectors/index.js';
import { uniforms, wide } from '../support/dyadic-rng.js';

const r = uniforms(21);
const training = Array.from({ length: 300 }, () => Math.round(wide(r) * 4) / 4);
const numeric: NumericReference = {
  kind: 'numeric',
  cuts: Float64Array.from([-1, 0, 1]),
  binCounts: Float64Array.from([75, 75, 75, 75]),
  count: 300,
  std: 1e3,
  sample: toReferenceSample(training),
};

/** Values of every kind, from three sources. */
function filled(): NumericAggregate {
  const aggregate = new NumericAggregate(numeric);
  for (let i = 0; i < 200; i++) {
    const u = r();
    const x = u < 0.1 ? null : u < 0.15 ? -Infinity : u < 0.4 ? training[i] : wide(r) * 10;
    aggregate.add(x, i % 3);
  }
  return aggregate;
}

function stats(a: NumericAggregate): unknown[] {
  return [a.ksStatistic(), a.wasserstein(), a.summary(), [...a.binCounts], a.missing, a.nonFinite];
}

function rejects(build: () => unknown, message: RegExp): void {
  expect(build).toThrow(DetectorInputError);
  expect(build).toThrow(message);
}

function cellsOf(s: NumericAggregateState): Float64Array {
  if (s.ks.form !== 'cells') throw new Error('expected listed cells');
  return s.ks.cells;
}

function held(s: NumericAggregateState): Float64Array {
  if (s.ks.form !== 'held') throw new Error('expected held values');
  return s.ks.values;
}

function swapFirstCells(cells: Float64Array): void {
  const first = cells.slice(0, CELL_STRIDE);
  cells.copyWithin(0, CELL_STRIDE, 2 * CELL_STRIDE);
  cells.set(first, CELL_STRIDE);
}

function firstWithSum(cells: Float64Array): number {
  for (let c = 0; c < cells.length; c += CELL_STRIDE) if (cells[c + 2]! > 0) return c + 2;
  throw new Error('no cell with an offset sum');
}

describe('numeric aggregate state', () => {
  const original = filled();
  const state = original.toState();

  it('rebuilds an aggregate with bit-identical statistics and state', () => {
    const rebuilt = NumericAggregate.fromState(numeric, state);
    expect(rebuilt.toState()).toEqual(state);
    // toEqual compares numbers with Object.is: last bits and signed zeros count.
    expect(stats(rebuilt)).toEqual(stats(original));
  });

  it('a rebuilt aggregate merges, takes values and merges in bit-identically to the original', () => {
    // Rebuilt aggregates keep their values or cells as they came until needed: every path
    // must agree (stage 2 merges decoded partials this way). filled() draws new values
    // each call: record three draws and replay them.
    const draws = [filled(), filled(), filled()].map((a) => a.toState());
    const replayed = (i: number) => {
      const a = new NumericAggregate(numeric);
      a.merge(NumericAggregate.fromState(numeric, structuredClone(draws[i]!)));
      a.add(0.5, 7);
      return a;
    };
    const rebuilt = (i: number) => NumericAggregate.fromState(numeric, structuredClone(draws[i]!));
    const dense = replayed(0);
    dense.merge(replayed(1));
    dense.merge(replayed(2));
    const sparseIntoDense = replayed(0);
    sparseIntoDense.merge(rebuilt(1));
    sparseIntoDense.add(0.5, 7);
    sparseIntoDense.merge(rebuilt(2));
    sparseIntoDense.add(0.5, 7);
    const intoSparse = rebuilt(0);
    intoSparse.merge(rebuilt(1));
    intoSparse.merge(replayed(2));
    intoSparse.add(0.5, 7);
    intoSparse.add(0.5, 7);
    const reference = dense.toState();
    for (const merged of [sparseIntoDense, intoSparse]) {
      expect(merged.toState()).toEqual(reference);
      expect(stats(merged)).toEqual(stats(dense));
    }
    // The rebuilt state is not shared with the aggregate: adding leaves it as it was.
    const state0 = structuredClone(draws[0]!);
    const a = NumericAggregate.fromState(numeric, state0);
    a.add(0.5, 0);
    expect(state0).toEqual(draws[0]);
  });

  it("holds a small window's values, lists only the KS cells in use, sources in order", () => {
    const u = (numeric.sample?.values.length ?? 0) + 1;
    expect(state.ks.form).toBe('held');
    expect(state.ks.form === 'held' && state.ks.values.length).toBe(original.n);
    const listed = original.ksCells().length / CELL_STRIDE;
    expect(listed).toBeLessThanOrEqual(original.n);
    expect(listed).toBeLessThan(u);
    expect(state.sources.map((s) => s.source)).toEqual([0, 1, 2]);
  });

  it('rebuilds from listed cells with the same statistics as from held values', () => {
    const fromCells = NumericAggregate.fromState(numeric, {
      ...structuredClone(state),
      ks: { form: 'cells', cells: original.ksCells() },
    });
    expect(stats(fromCells)).toEqual(stats(original));
    expect(fromCells.ksCells()).toEqual(original.ksCells());
  });

  it('is a copy: changing the aggregate later leaves the state as it was', () => {
    const aggregate = filled();
    const before = aggregate.toState();
    const copy = structuredClone(before);
    aggregate.add(0.5, 0);
    expect(before).toEqual(copy);
  });

  const broken: [string, (s: NumericAggregateState) => void, RegExp][] = [
    [
      'bin counts that do not sum to the count',
      (s) => (s.binCounts[0] = s.binCounts[0]! + 1),
      /bin counts/,
    ],
    ['a fractional count', (s) => (s.missing = 0.5), /missing/],
    ['a bin vector of another length', (s) => (s.binCounts = new Float64Array(2)), /entries/],
    ['a KS cell beyond the sample', (s) => (cellsOf(s)[cellsOf(s).length - 5] = 1e6), /outside/],
    ['KS cells out of order', (s) => swapFirstCells(cellsOf(s)), /ascend/],
    ['KS cells that count other values', (s) => (cellsOf(s)[1]! += 1), /KS cells count/],
    ['an invalid fixed-point word', (s) => (cellsOf(s)[firstWithSum(cellsOf(s))] = 2 ** 52), /sum/],
    ['KS cells cut short', (s) => (s.ks = { form: 'cells', cells: cellsOf(s).slice(1) }), /whole/],
    [
      'held values that count other values',
      (s) => (s.ks = { form: 'held', values: held(s).slice(1) }),
      /KS holds/,
    ],
    ['a held value that is not finite', (s) => (held(s)[0] = Infinity), /not finite/],
    ['sources out of order', (s) => s.sources.reverse(), /ascend/],
    ['sources that count other values', (s) => (s.sources[0]!.n += 1), /sources count/],
  ];
  /** The state with its KS side as listed cells (valid: the same values' cells). */
  const withCells = (): NumericAggregateState => ({
    ...structuredClone(state),
    ks: { form: 'cells', cells: original.ksCells() },
  });
  it.each(broken)('refuses %s (DetectorInputError)', (what, damage, message) => {
    const copy = /held/.test(what) ? structuredClone(state) : withCells();
    damage(copy);
    rejects(() => NumericAggregate.fromState(numeric, copy), message);
  });

  it('refuses KS cells against a reference without a sample', () => {
    rejects(() => NumericAggregate.fromState({ ...numeric, sample: undefined }, state), /sample/);
  });
});

describe('categorical aggregate state', () => {
  const categories = ['DE', 'FR', 'IT'];
  const reference: CategoricalReference = {
    kind: 'categorical',
    categories,
    index: new Map(categories.map((c, i) => [c, i])),
    counts: Float64Array.from([500, 300, 200]),
    count: 1_000,
    other: 0,
  };

  it('rebuilds an aggregate past the cap, the overflow bucket in its place', () => {
    const original = new CategoricalAggregate(reference);
    for (let i = 0; i < MAX_UNSEEN_CATEGORIES + 5; i++)
      original.add(i % 4 === 0 ? 'FR' : `new-${i}`);
    original.add(null);
    const state = original.toState();
    const rebuilt = CategoricalAggregate.fromState(reference, state);
    expect(rebuilt.toState()).toEqual(state);
    expect(rebuilt.alignedCounts()).toEqual(original.alignedCounts());
    expect(rebuilt.summary()).toEqual(original.summary());
  });

  const valid = (): CategoricalAggregateState => ({
    kind: 'categorical',
    missing: 1,
    counts: Float64Array.from([1, 0, 2]),
    unseen: [['XX', 3]],
  });
  const broken: [string, (s: CategoricalAggregateState) => void, RegExp][] = [
    ['an unseen category the baseline has', (s) => s.unseen.push(['DE', 1]), /baseline one/],
    ['an unseen category twice', (s) => s.unseen.push(['XX', 1]), /twice/],
    ['a zero unseen count', (s) => (s.unseen[0]![1] = 0), /count/],
    ['counts of another length', (s) => (s.counts = new Float64Array(4)), /entries/],
    [
      'more unseen categories than the cap, without the overflow bucket',
      (s) => {
        for (let i = 0; i < MAX_UNSEEN_CATEGORIES; i++) s.unseen.push([`n${i}`, 1]);
      },
      /at most/,
    ],
  ];
  it.each(broken)('refuses %s (DetectorInputError)', (_, damage, message) => {
    const state = valid();
    damage(state);
    rejects(() => CategoricalAggregate.fromState(reference, state), message);
  });

  it('accepts the overflow bucket as the one beyond the cap', () => {
    const state = valid();
    for (let i = 0; i < MAX_UNSEEN_CATEGORIES - 1; i++) state.unseen.push([`n${i}`, 1]);
    state.unseen.push([OVERFLOW_CATEGORY, 4]);
    expect(CategoricalAggregate.fromState(reference, state).unseenCount).toBe(
      3 + MAX_UNSEEN_CATEGORIES - 1 + 4,
    );
  });
});
