import { describe, expect, it } from 'vitest';
import {
  CategoricalAggregate,
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
    // Rebuilt aggregates keep their cells sparse until needed: every path must agree with
    // the dense one (stage 2 merges decoded partials this way). filled() draws new values
    // each call: record three draws and replay them.
    const draws = [filled(), filled(), filled()].map((a) => a.toState());
    const replayed = (i: number) => {
      const a = new NumericAggregate(numeric);
      a.merge(NumericAggregate.fromState(numeric, structuredClone(draws[i]!)));
      a.add(0.5, 7); // touches the cells: dense from here on
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

  it('lists only the KS cells in use and the sources in ascending order', () => {
    const u = (numeric.sample?.values.length ?? 0) + 1;
    expect(state.cells.length).toBeLessThanOrEqual(original.n);
    expect(state.cells.length).toBeLessThan(u);
    expect(state.sources.map((s) => s.source)).toEqual([0, 1, 2]);
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
    ['a KS cell beyond the sample', (s) => (s.cells.at(-1)!.k = 1e6), /outside/],
    ['KS cells out of order', (s) => s.cells.reverse(), /ascend/],
    ['KS cells that count other values', (s) => (s.cells[0]!.below += 1), /KS cells count/],
    [
      'an invalid fixed-point word',
      (s) => (s.cells.find((c) => c.sumLo > 0)!.sumLo = 2 ** 52),
      /sum/,
    ],
    ['sources out of order', (s) => s.sources.reverse(), /ascend/],
    ['sources that count other values', (s) => (s.sources[0]!.n += 1), /sources count/],
  ];
  it.each(broken)('refuses %s (DetectorInputError)', (_, damage, message) => {
    const copy = structuredClone(state);
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
