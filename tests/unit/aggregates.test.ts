import { mean, sampleStandardDeviation } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import {
  CategoricalAggregate,
  MAX_UNSEEN_CATEGORIES,
  NumericAggregate,
  OVERFLOW_CATEGORY,
  ksStatisticSorted,
  quantileCuts,
  toReferenceSample,
  wassersteinDistance,
  type CategoricalReference,
  type NumericReference,
} from '../../detectors/index.js';
import { uniforms } from '../support/dyadic-rng.js';

function normals(n: number, seed: number, shift = 0, scale = 1): Float64Array {
  const r = uniforms(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - r();
    out[i] = shift + scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
  }
  return out;
}

function numericReference(training: Float64Array): NumericReference {
  const sorted = Float64Array.from(training).sort();
  const cuts = quantileCuts(sorted, 10);
  const binCounts = new Float64Array(cuts.length + 1);
  const probe = new NumericAggregate({
    kind: 'numeric',
    cuts,
    binCounts,
    count: 1,
    std: 1,
    sample: undefined,
  });
  probe.addAll(sorted);
  return {
    kind: 'numeric',
    cuts,
    binCounts: probe.binCounts,
    count: sorted.length,
    std: sampleStandardDeviation([...sorted]),
    sample: toReferenceSample(sorted),
  };
}

const finite = (v: ArrayLike<number>) => Float64Array.from(v).filter((x) => Number.isFinite(x));

describe('numeric window aggregate', () => {
  const training = normals(5_000, 1);
  const reference = numericReference(training);
  const sortedTraining = Float64Array.from(training).sort();

  const windows: Record<string, Float64Array> = {
    'same distribution': normals(800, 2),
    'shifted by 0.3σ': normals(1_200, 3, 0.3),
    'wider, unequal size': normals(333, 4, 0, 2),
    'outside the training range': Float64Array.from([-50, -10, 10, 50, 0]),
    'values equal to training values (ties across samples)': Float64Array.from(
      { length: 400 },
      (_, i) => training[(i * 7) % 100] as number,
    ),
    'heavy ties, discrete': Float64Array.from({ length: 900 }, (_, i) => (i % 3) - 1),
    'a single value': Float64Array.from([0.1]),
  };

  it.each(Object.entries(windows))(
    'gives the KS statistic of ks_2samp(reference sample, window) bit for bit: %s',
    (_, values) => {
      const agg = new NumericAggregate(reference);
      agg.addAll(values);
      const expected = ksStatisticSorted(sortedTraining, Float64Array.from(values).sort());
      expect(agg.ksStatistic()).toBe(expected);
    },
  );

  it.each(Object.entries(windows))(
    'bounds the Wasserstein distance to the reference sample: %s',
    (_, values) => {
      const agg = new NumericAggregate(reference);
      agg.addAll(values);
      const exact = wassersteinDistance(training, values);
      const { estimate, bound } = agg.wasserstein();
      expect(Math.abs(estimate - exact)).toBeLessThanOrEqual(bound + 1e-9 * Math.max(1, exact));
      // Crossings are rare and intervals narrow: the bound is tight next to the distance.
      expect(bound).toBeLessThan(0.02);
    },
  );

  it('is mergeable: two halves merged equal the whole, for every statistic', () => {
    const values = normals(3_000, 5, 0.2);
    const whole = new NumericAggregate(reference);
    whole.addAll(values);
    const left = new NumericAggregate(reference);
    const right = new NumericAggregate(reference);
    left.addAll(values.subarray(0, 1_234));
    right.addAll(values.subarray(1_234));
    right.add(null);
    left.merge(right);
    expect([...left.binCounts]).toEqual([...whole.binCounts]);
    expect(left.ksStatistic()).toBe(whole.ksStatistic());
    expect(left.wasserstein().estimate).toBeCloseTo(whole.wasserstein().estimate, 12);
    expect(left.n).toBe(3_000);
    expect(left.missing).toBe(1);
    expect(left.moments().mean).toBeCloseTo(whole.moments().mean, 12);
    expect(left.moments().std).toBeCloseTo(whole.moments().std as number, 12);
  });

  it('gives a bit-identical Wasserstein distance whatever the order of the values', () => {
    // Inside the reference range the interval sums are exact, so even one source's order
    // does not matter there. Values crowding the right ends of two intervals: the offset
    // sums nearly cancel against count × width, which shows every last bit of them.
    const crowded: NumericReference = {
      kind: 'numeric',
      cuts: Float64Array.from([1]),
      binCounts: Float64Array.from([2, 4]),
      count: 6,
      std: 1,
      sample: toReferenceSample([0, 0, 1, 1, 2, 2]),
    };
    for (let seed = 1; seed <= 8; seed++) {
      const r = uniforms(seed);
      const values = Float64Array.from({ length: 2_000 }, (_, i) => (i % 2) + 1 - 1e-6 * r());
      const a = new NumericAggregate(crowded);
      a.addAll(values);
      const b = new NumericAggregate(crowded);
      b.addAll(values.reverse());
      const [wa, wb] = [a.wasserstein(), b.wasserstein()];
      expect(Object.is(wb.estimate, wa.estimate) && Object.is(wb.bound, wa.bound)).toBe(true);
    }
  });

  it('keeps floats per source: interleaved adds and partials merged in any order agree bit for bit', () => {
    // Beyond the reference range too (sums kept per source), and over many magnitudes.
    const sources = [0, 1, 2].map((s) => normals(700, 20 + s, 0.5, 10 ** s));
    const interleaved = new NumericAggregate(reference);
    for (let i = 0; i < 700; i++) {
      for (const s of [2, 0, 1]) interleaved.add(sources[s]![i], s);
    }
    const partial = (s: number) => {
      const agg = new NumericAggregate(reference);
      agg.addAll(sources[s]!, s);
      return agg;
    };
    const forward = partial(0);
    forward.merge(partial(1));
    forward.merge(partial(2));
    const backward = partial(2);
    backward.merge(partial(1));
    backward.merge(partial(0));
    for (const agg of [forward, backward]) {
      expect(agg.summary()).toEqual(interleaved.summary());
      expect(agg.wasserstein()).toEqual(interleaved.wasserstein());
      expect(agg.ksStatistic()).toBe(interleaved.ksStatistic());
    }
  });

  it('counts null and NaN as missing and ±Infinity apart, and keeps them out of every statistic', () => {
    const agg = new NumericAggregate(reference);
    agg.addAll([1, NaN, 2, Infinity, -Infinity, 3]);
    agg.add(null);
    agg.add(undefined);
    expect(agg.n).toBe(3);
    expect(agg.missing).toBe(3);
    expect(agg.nonFinite).toBe(2);
    const s = agg.summary();
    expect(s).toMatchObject({ count: 3, missing: 5, min: 1, max: 3 });
    expect(s.mean).toBeCloseTo(mean([1, 2, 3]), 14);
    expect(s.std).toBeCloseTo(sampleStandardDeviation([1, 2, 3]), 14);
    expect(agg.ksStatistic()).toBe(
      ksStatisticSorted(sortedTraining, finite([1, NaN, 2, Infinity, -Infinity, 3]).sort()),
    );
  });

  it('matches simple-statistics on the window summary', () => {
    const values = normals(10_001, 6, 3, 0.5);
    const agg = new NumericAggregate(reference);
    agg.addAll(values);
    const s = agg.summary();
    expect(s.mean).toBeCloseTo(mean([...values]), 12);
    expect(s.std).toBeCloseTo(sampleStandardDeviation([...values]), 12);
    expect(agg.summary().min).toBe(Math.min(...values));
  });

  it('handles a window of 1,000,000 values in bounded memory, KS still exact', () => {
    const values = normals(1_000_000, 7, 0.05);
    const agg = new NumericAggregate(reference);
    agg.addAll(values);
    expect(agg.n).toBe(1_000_000);
    expect(agg.ksStatistic()).toBe(
      ksStatisticSorted(sortedTraining, Float64Array.from(values).sort()),
    );
  });
});

describe('categorical window aggregate', () => {
  const categories = ['DE', 'FR', 'IT'];
  const reference: CategoricalReference = {
    kind: 'categorical',
    categories,
    index: new Map(categories.map((c, i) => [c, i])),
    counts: Float64Array.from([500, 300, 200]),
    count: 1_000,
    other: 0,
  };

  it('keeps categories the baseline never saw apart, by name, and counts missing values', () => {
    const agg = new CategoricalAggregate(reference);
    for (const c of ['DE', 'DE', 'XX', 'FR', 'YY', 'XX']) agg.add(c);
    agg.add(null);
    expect(agg.n).toBe(6);
    expect(agg.missing).toBe(1);
    expect(agg.unseenCount).toBe(3);
    const aligned = agg.alignedCounts();
    expect(aligned.labels).toEqual(['DE', 'FR', 'IT', 'XX', 'YY']);
    expect([...aligned.current]).toEqual([2, 1, 0, 2, 1]);
    expect([...aligned.reference]).toEqual([500, 300, 200, 0, 0]);
  });

  it('lists unseen categories in key order, whatever order they arrived in', () => {
    const a = new CategoricalAggregate(reference);
    const b = new CategoricalAggregate(reference);
    for (const c of ['ZZ', 'DE', 'AA', 'MM', 'AA']) a.add(c);
    for (const c of ['AA', 'MM', 'DE', 'AA', 'ZZ']) b.add(c);
    expect(a.alignedCounts()).toEqual(b.alignedCounts());
    expect(a.alignedCounts().labels).toEqual(['DE', 'FR', 'IT', 'AA', 'MM', 'ZZ']);
    expect([...a.alignedCounts().current]).toEqual([1, 0, 0, 2, 1, 1]);
  });

  it('caps the number of distinct unseen categories kept by name', () => {
    const agg = new CategoricalAggregate(reference);
    for (let i = 0; i < MAX_UNSEEN_CATEGORIES + 10; i++) agg.add(`new-${i}`);
    expect(agg.unseen.size).toBe(MAX_UNSEEN_CATEGORIES + 1);
    expect(agg.unseen.get(OVERFLOW_CATEGORY)).toBe(10);
    expect(agg.n).toBe(MAX_UNSEEN_CATEGORIES + 10);
  });

  it('is mergeable, including unseen categories and huge counts', () => {
    const a = new CategoricalAggregate(reference);
    const b = new CategoricalAggregate(reference);
    a.add('DE', 1e9);
    a.add('XX', 5);
    b.add('DE', 1e9);
    b.add('XX', 2);
    b.add(null, 3);
    a.merge(b);
    expect(a.counts[0]).toBe(2e9);
    expect(a.unseen.get('XX')).toBe(7);
    expect(a.missing).toBe(3);
  });
});
