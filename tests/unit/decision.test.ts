import { describe, expect, it } from 'vitest';
import {
  CategoricalAggregate,
  DEFAULT_DRIFT_SETTINGS,
  NumericAggregate,
  adjustPValues,
  correctWindow,
  datasetDrift,
  evaluateFeature,
  ksTwoSample,
  toReferenceSample,
  type CategoricalReference,
  type DriftResult,
  type DriftSettings,
  type NumericReference,
} from '../../detectors/index.js';

const ALL_NUMERIC: DriftSettings = {
  ...DEFAULT_DRIFT_SETTINGS,
  numericMethods: ['psi', 'ks', 'wasserstein', 'jensen_shannon', 'hellinger', 'chi_square'],
  categoricalMethods: ['psi', 'chi_square', 'jensen_shannon', 'hellinger'],
};

/** A reference whose bins are the 10 integers 0..9 and whose sample is 0..9 repeated. */
function digits(sample = true): NumericReference {
  const training = Float64Array.from({ length: 1_000 }, (_, i) => i % 10);
  return {
    kind: 'numeric',
    cuts: Float64Array.from({ length: 9 }, (_, i) => i + 0.5),
    binCounts: new Float64Array(10).fill(100),
    count: 1_000,
    std: Math.sqrt(8.25),
    sample: sample ? toReferenceSample(training) : undefined,
  };
}

function constant(value: number): NumericReference {
  return {
    kind: 'numeric',
    cuts: Float64Array.from([value - 0.5, value + 0.5]),
    binCounts: Float64Array.from([0, 500, 0]),
    count: 500,
    std: 0,
    sample: toReferenceSample(new Float64Array(500).fill(value)),
  };
}

const countries: CategoricalReference = {
  kind: 'categorical',
  categories: ['DE', 'FR'],
  index: new Map([
    ['DE', 0],
    ['FR', 1],
  ]),
  counts: Float64Array.from([600, 400]),
  count: 1_000,
  other: 0,
};

function numericWindow(reference: NumericReference, values: ArrayLike<number>) {
  const agg = new NumericAggregate(reference);
  agg.addAll(values);
  return agg;
}

const byMethod = (results: DriftResult[]) => new Map(results.map((r) => [r.method, r]));

function expectNoNaN(results: DriftResult[]) {
  for (const r of results) {
    for (const v of [r.statistic, r.pValue, r.adjustedPValue, r.threshold, r.n, r.nRef]) {
      expect(Number.isNaN(v)).toBe(false);
    }
  }
}

describe('drift decision per feature', () => {
  it('reports insufficient_data for an empty window or one below the minimum, never NaN', () => {
    for (const values of [[], [3], Array.from({ length: 29 }, () => 4)]) {
      const results = evaluateFeature('x', numericWindow(digits(), values), ALL_NUMERIC);
      expect(results).toHaveLength(6);
      for (const r of results) {
        expect(r).toMatchObject({ status: 'insufficient_data', statistic: null, drifted: false });
      }
      expectNoNaN(results);
    }
  });

  it('decides each method on its own rule and reports n, n_ref, thresholds', () => {
    const window = Array.from({ length: 500 }, (_, i) => (i % 10) + (i % 2 === 0 ? 0 : 3));
    // Unbounded exact work: the p-value is ks_2samp's (the default bound takes asymp here).
    const results = byMethod(
      evaluateFeature('x', numericWindow(digits(), window), {
        ...ALL_NUMERIC,
        ksMaxExactWork: Infinity,
      }),
    );
    const ks = results.get('ks')!;
    expect(ks).toMatchObject({ status: 'ok', threshold: 0.05, n: 500, nRef: 1_000 });
    const direct = ksTwoSample(
      Float64Array.from({ length: 1_000 }, (_, i) => i % 10),
      window,
    );
    expect(ks.statistic).toBe(direct.statistic);
    expect(ks.pValue).toBe(direct.pValue);
    expect(ks.drifted).toBe(direct.pValue <= 0.05);
    const psi = results.get('psi')!;
    expect(psi.threshold).toBe(0.25);
    const beyondNoise = (psi.pValue as number) <= 0.05;
    expect(psi.drifted).toBe((psi.statistic as number) >= 0.25 && beyondNoise);
    expect(psi.warning).toBe((psi.statistic as number) >= 0.1 && beyondNoise);
    expect(results.get('wasserstein')!.bound).toBeGreaterThanOrEqual(0);
    for (const r of results.values()) expect(r.status).toBe('ok');
    expectNoNaN([...results.values()]);
  });

  it('a constant feature: same constant → no drift; the constant moves → drift', () => {
    const same = byMethod(
      evaluateFeature('c', numericWindow(constant(7), new Array<number>(100).fill(7)), ALL_NUMERIC),
    );
    expect(same.get('ks')).toMatchObject({ statistic: 0, pValue: 1, drifted: false });
    expect(same.get('psi')).toMatchObject({ statistic: 0, drifted: false, bins: 1 });
    expect(same.get('wasserstein')).toMatchObject({ statistic: 0, drifted: false });
    const moved = byMethod(
      evaluateFeature('c', numericWindow(constant(7), new Array<number>(100).fill(8)), ALL_NUMERIC),
    );
    expect(moved.get('ks')).toMatchObject({ statistic: 1, drifted: true });
    expect(moved.get('psi')!.drifted).toBe(true);
    // The training spread is 0: the distance is scaled by 0.001 (Evidently's floor), not ∞.
    expect(moved.get('wasserstein')!.statistic).toBeCloseTo(1_000, 9);
    expectNoNaN([...same.values(), ...moved.values()]);
  });

  it('all values tied in the window, and NaN/Infinity in it, are handled', () => {
    const results = evaluateFeature(
      'x',
      numericWindow(digits(), [...new Array<number>(50).fill(4), NaN, Infinity, -Infinity]),
      ALL_NUMERIC,
    );
    for (const r of results) expect(r).toMatchObject({ n: 50, missing: 3 });
    // 50 values over 10 equal bins expect 5 per bin: below PSI's minimum of 10 (sparse_bins).
    for (const r of results) {
      expect(r.status).toBe(r.method === 'psi' ? 'insufficient_data' : 'ok');
    }
    expect(byMethod(results).get('psi')!.rule).toBe('sparse_bins');
    expect(byMethod(results).get('ks')!.drifted).toBe(true);
    expectNoNaN(results);
  });

  it('a baseline without a reference sample reports KS and Wasserstein as unavailable', () => {
    const results = byMethod(
      evaluateFeature(
        'x',
        numericWindow(digits(false), new Array<number>(100).fill(3)),
        ALL_NUMERIC,
      ),
    );
    expect(results.get('ks')).toMatchObject({ status: 'unavailable', statistic: null });
    expect(results.get('wasserstein')!.status).toBe('unavailable');
    expect(results.get('psi')!.status).toBe('ok');
  });

  it('categories only in the window or only in the baseline give finite results', () => {
    const onlyNew = new CategoricalAggregate(countries);
    onlyNew.add('XX', 100);
    const a = byMethod(evaluateFeature('country', onlyNew, ALL_NUMERIC));
    expect(a.get('chi_square')).toMatchObject({ status: 'ok', drifted: true, unseen: 100 });
    expect(a.get('chi_square')!.pValue).toBeLessThan(1e-50);
    expect(a.get('psi')!.drifted).toBe(true);
    expect(a.get('jensen_shannon')!.statistic).toBeCloseTo(1, 12);
    expect(a.get('hellinger')!.statistic).toBeCloseTo(1, 12);

    const onlyOld = new CategoricalAggregate(countries);
    onlyOld.add('DE', 100);
    const b = byMethod(evaluateFeature('country', onlyOld, ALL_NUMERIC));
    expect(b.get('chi_square')).toMatchObject({ status: 'ok', drifted: true, unseen: 0 });
    expectNoNaN([...a.values(), ...b.values()]);
  });

  it('huge counts (1e9) stay finite and exact enough', () => {
    const agg = new CategoricalAggregate(countries);
    agg.add('DE', 6e9);
    agg.add('FR', 4e9);
    const results = byMethod(evaluateFeature('country', agg, ALL_NUMERIC));
    expect(results.get('psi')!.statistic).toBe(0);
    expect(results.get('chi_square')).toMatchObject({ pValue: 1, drifted: false });
    expect(results.get('hellinger')!.statistic).toBe(0);
  });
});

describe('multiple testing and dataset-level drift', () => {
  it('adjusts p-values like Bonferroni and scipy.stats.false_discovery_control (BH)', () => {
    const p = [0.01, 0.04, 0.03, 0.005];
    expect([...adjustPValues(p, 'bonferroni')]).toEqual([0.04, 0.16, 0.12, 0.02]);
    const bh = [...adjustPValues(p, 'benjamini_hochberg')];
    [0.02, 0.04, 0.04, 0.02].forEach((q, i) => expect(bh[i]).toBeCloseTo(q, 15));
    const bh2 = [...adjustPValues([0.5, 0.001, 0.2, 0.04, 0.04, 0.9], 'benjamini_hochberg')];
    [0.6, 0.006, 0.3, 0.08, 0.08, 0.9].forEach((q, i) => expect(bh2[i]).toBeCloseTo(q, 15));
    expect(() => adjustPValues([NaN], 'bonferroni')).toThrow(/p-values lie in \[0, 1\]/);
  });

  const result = (
    feature: string,
    method: 'ks' | 'psi',
    p: number | null,
    drifted: boolean,
  ): DriftResult => ({
    feature,
    method,
    status: 'ok',
    statistic: 0.3,
    pValue: p,
    adjustedPValue: p,
    threshold: method === 'ks' ? 0.05 : 0.25,
    alpha: method === 'ks' ? 0.05 : null,
    rule: method === 'ks' ? 'p_value' : 'threshold',
    drifted,
    warning: drifted,
    n: 100,
    nRef: 1_000,
    missing: 0,
  });

  it('re-decides p-value tests on the corrected p-values, leaving distances alone', () => {
    const results = [
      result('a', 'ks', 0.02, true),
      result('b', 'ks', 0.03, true),
      result('c', 'ks', 0.5, false),
      result('a', 'psi', null, true),
    ];
    const corrected = correctWindow(results, 'bonferroni');
    expect(corrected.map((r) => r.drifted)).toEqual([false, false, false, true]);
    expect(corrected[0]!.adjustedPValue).toBeCloseTo(0.06, 15);
    expect(corrected[0]!.pValue).toBe(0.02);
    expect(correctWindow(results, 'none').map((r) => r.drifted)).toEqual([true, true, false, true]);
  });

  it('computes the share of drifted features (any method), ignoring features without data', () => {
    const insufficient = {
      ...result('d', 'ks', null, false),
      status: 'insufficient_data' as const,
    };
    const d = datasetDrift(
      [
        result('a', 'ks', 0.01, true),
        result('a', 'psi', null, false),
        result('b', 'ks', 0.5, false),
        insufficient,
      ],
      0.5,
    );
    expect(d).toEqual({
      features: 2,
      driftedFeatures: 1,
      share: 0.5,
      threshold: 0.5,
      drifted: true,
    });
    expect(datasetDrift([], 0.5)).toMatchObject({ features: 0, share: 0, drifted: false });
  });
});
