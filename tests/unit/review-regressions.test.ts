// Each case reproduces a bug found in review; the test fails without its fix.
import { describe, expect, it } from 'vitest';
import {
  CategoricalAggregate,
  DEFAULT_DRIFT_SETTINGS,
  MAX_UNSEEN_CATEGORIES,
  NumericAggregate,
  adjustPValues,
  countIntoBins,
  evaluateFeature,
  ksPValue,
  ksStatisticSorted,
  toReferenceSample,
  type CategoricalReference,
  type NumericReference,
} from '../../detectors/index.js';
import { exactTwoSided } from '../../detectors/ks-exact.js';
import { countsOf, toBaseline } from '../../src/baseline/baseline.js';
import {
  BASELINE_FORMAT_V1,
  baselineFileV1Schema as baselineFileSchema,
} from '../../src/baseline/file-format-v1.js';
import { parseConfig } from '../../src/config/load.js';

const numeric = (over: Partial<NumericReference> = {}): NumericReference => ({
  kind: 'numeric',
  cuts: Float64Array.from([0]),
  binCounts: Float64Array.from([5, 5]),
  count: 10,
  std: 1,
  sample: toReferenceSample([-2, -1, -1, 0, 0, 1, 1, 2, 3, 4]),
  ...over,
});
const ALL = {
  ...DEFAULT_DRIFT_SETTINGS,
  numericMethods: [
    'ks',
    'psi',
    'wasserstein',
    'hellinger',
    'jensen_shannon',
    'chi_square',
  ] as const,
  minSamples: 1,
};

describe('review regressions', () => {
  it('values near 1e308 give null moments and an unavailable Wasserstein, never NaN/Infinity', () => {
    const agg = new NumericAggregate(numeric());
    agg.addAll([1e200, -1e308, 1e308, 1e308, 1]);
    const s = agg.summary();
    expect(s.std).toBeNull();
    for (const v of [s.mean, s.std, s.min, s.max])
      expect(v === null || Number.isFinite(v)).toBe(true);
    const results = evaluateFeature('x', agg, ALL);
    const w = results.find((r) => r.method === 'wasserstein')!;
    expect(w).toMatchObject({ status: 'unavailable', statistic: null });
    expect(w.reason).toMatch(/overflowed/);
    for (const r of results) {
      for (const v of [r.statistic, r.pValue, r.bound]) {
        expect(v === null || v === undefined || Number.isFinite(v)).toBe(true);
      }
    }
  });

  it('a baseline whose std is not finite makes Wasserstein unavailable, not NaN', () => {
    const agg = new NumericAggregate(numeric({ std: NaN }));
    agg.addAll([0, 1, 2]);
    const w = evaluateFeature('x', agg, ALL).find((r) => r.method === 'wasserstein')!;
    expect(w).toMatchObject({ status: 'unavailable' });
  });

  it('a baseline the detectors reject gives unavailable results instead of throwing', () => {
    const agg = new NumericAggregate(numeric({ binCounts: Float64Array.from([0, 0]) }));
    agg.addAll([0, 1, 2]);
    const results = evaluateFeature('x', agg, ALL);
    const psi = results.find((r) => r.method === 'psi')!;
    expect(psi).toMatchObject({ status: 'unavailable' });
    expect(psi.reason).toMatch(/reference sums to 0/);
    expect(results.find((r) => r.method === 'ks')!.status).toBe('ok');
  });

  it('the baseline schema rejects proportions that do not sum to 1; counts sum to count', () => {
    const file = (proportions: number[], count: number) => ({
      format: BASELINE_FORMAT_V1,
      model: 'm',
      model_version: '1',
      created_at: '2026-01-01T00:00:00.000Z',
      source: { file: 'f', rows: count },
      features: { x: { kind: 'numeric', cuts: [0], proportions, count, missing: 0 } },
    });
    expect(baselineFileSchema.safeParse(file([0, 0], 4)).success).toBe(false);
    expect(
      baselineFileSchema.safeParse({
        ...file([0.5, 0.5], 4),
        features: { c: { kind: 'categorical', proportions: {}, count: 4, missing: 0 } },
      }).success,
    ).toBe(false);
    const tenths = new Array<number>(10).fill(0.1);
    expect([...countsOf(tenths, 4)].reduce((a, b) => a + b)).toBe(4);
    expect([...countsOf([0.5, 0.5], 1)]).toEqual([1, 0]);
    const parsed = baselineFileSchema.parse({
      ...file([0.5, 0.5], 4),
      features: {
        c: {
          kind: 'categorical',
          proportions: { a: 0.33, b: 0.33, c: 0.34 },
          count: 1,
          missing: 0,
        },
      },
    });
    const c = toBaseline(parsed, 'h', 'f').features.get('c');
    expect(c?.kind === 'categorical' && [...c.counts].reduce((a, b) => a + b)).toBe(1);
  });

  it('an exact KS p-value of 1 stays exact (scipy keeps it; the fast recursion rounded above 1)', () => {
    // scipy: _attempt_exact_2kssamp(83, 1204, 1, 1/83) -> (True, 0.012048…, 1.0)
    expect(exactTwoSided(1 / 83, 83, 1204).p).toBe(1);
    expect(ksPValue(1 / 83, 83, 1204).method).toBe('exact');
  });

  it('countIntoBins is right on spans that underflow or overflow the bucket scale', () => {
    const cases: [number[], number, number][] = [
      [[0, 1e-320], 0, 1],
      [[-1e308, 1e308], 9e307, 1],
      [[1e-310, 3e-310], 1e-310, 1],
    ];
    for (const [cuts, x, bin] of cases) {
      const counts = new Float64Array(cuts.length + 1);
      countIntoBins(Float64Array.from(cuts), [x, x], counts);
      expect(counts[bin]).toBe(2);
      expect(Object.keys(counts)).toHaveLength(cuts.length + 1);
    }
  });

  it('ksStatisticSorted rejects NaN instead of looping forever', () => {
    expect(() => ksStatisticSorted([NaN], [1])).toThrow(/NaN/);
  });

  it('the exact-work budget limits only auto, never an explicit exact', () => {
    expect(ksPValue(0.1, 10_000, 5_000, 'exact', { maxExactWork: 1 }).method).toBe('exact');
    expect(ksPValue(0.1, 10_000, 5_000, 'auto', { maxExactWork: 1 }).method).toBe('asymp');
  });

  it('categorical windows merged in either order give the same statistics past the unseen cap', () => {
    const reference: CategoricalReference = {
      kind: 'categorical',
      categories: ['a'],
      index: new Map([['a', 0]]),
      counts: Float64Array.from([10]),
      count: 10,
      other: 0,
    };
    const make = (from: number, to: number) => {
      const agg = new CategoricalAggregate(reference);
      for (let i = from; i < to; i++) agg.add(`k${i}`, 1 + (i % 3));
      agg.add('a', 5);
      return agg;
    };
    const half = MAX_UNSEEN_CATEGORIES * 0.75;
    const ab = make(0, half);
    ab.merge(make(half, 2 * half));
    const ba = make(half, 2 * half);
    ba.merge(make(0, half));
    const settings = {
      ...DEFAULT_DRIFT_SETTINGS,
      categoricalMethods: ['psi', 'chi_square'] as const,
    };
    const stats = (agg: CategoricalAggregate) =>
      evaluateFeature('c', agg, settings).map((r) => [r.statistic, r.pValue]);
    expect(stats(ab)).toEqual(stats(ba));
  });

  it('the deprecated psiThreshold is checked against psiWarning too', () => {
    const yaml = `kafka: { brokers: ["k:9092"], topic: t, deadLetterTopic: d }
influx: { url: "http://i:8086", org: o, bucket: b }
baselines: { dir: b }
drift: { psiThreshold: 0.05 }`;
    expect(() => parseConfig(yaml, 'c.yaml', { INFLUX_TOKEN: 'x' })).toThrow(
      /psiWarning must not exceed psi/,
    );
  });

  it('Benjamini-Hochberg rounds as scipy.stats.false_discovery_control does', () => {
    const q = [
      ...adjustPValues([0.01, 0.04, 0.04, 0.03, 0, 1, 0.5, 0.049, 0.2], 'benjamini_hochberg'),
    ];
    // Values printed by scipy 1.17.1.
    expect(q).toEqual([
      0.045, 0.07200000000000001, 0.07200000000000001, 0.07200000000000001, 0, 1, 0.5625,
      0.07350000000000001, 0.2571428571428572,
    ]);
  });
});
