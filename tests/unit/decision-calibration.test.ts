import { describe, expect, it } from 'vitest';
import {
  CategoricalAggregate,
  DEFAULT_DRIFT_SETTINGS,
  NumericAggregate,
  chiSquareContingency,
  correctWindow,
  evaluateFeature,
  ksPValue,
  poolSparseBins,
  psi,
  toReferenceSample,
  type CategoricalReference,
  type DriftSettings,
  type NumericReference,
} from '../../detectors/index.js';
import { toBaseline } from '../../src/baseline/baseline.js';
import { buildBaseline } from '../../src/baseline/build.js';
import { toPoint } from '../support/to-point.js';
import { DEFAULT_WINDOW_DRIFT_SETTINGS } from '../../src/drift/window-points.js';
import { uniform53 } from '../../scripts/sfc32.js';

/** Ten equal bins of 1,000 training values each over 0..9, and the values 0..9 as sample. */
function tenBins(training = 10_000): NumericReference {
  return {
    kind: 'numeric',
    cuts: Float64Array.from({ length: 9 }, (_, i) => i + 0.5),
    binCounts: new Float64Array(10).fill(training / 10),
    count: training,
    std: Math.sqrt(8.25),
    sample: toReferenceSample(
      Float64Array.from({ length: 1_000 }, (_, i) => i % 10),
      training,
    ),
  };
}

function window(reference: NumericReference, values: ArrayLike<number>): NumericAggregate {
  const a = new NumericAggregate(reference);
  a.addAll(values);
  return a;
}

const uniformDigits = (n: number, seed: number) => {
  const u = uniform53(seed);
  return Float64Array.from({ length: n }, () => Math.floor(u() * 10));
};

const one = (
  settings: DriftSettings,
  method: string,
  agg: NumericAggregate | CategoricalAggregate,
) => evaluateFeature('x', agg, settings).find((r) => r.method === method)!;

describe('KS against a quantile sketch', () => {
  it('a baseline file with a quantile sketch gives KS the column count as n_ref', () => {
    const u = uniform53(7);
    const column = Array.from({ length: 20_000 }, () => u());
    const file = buildBaseline(
      { x: column },
      { model: 'm', modelVersion: '1', sourceFile: 't.csv', sampleSize: 1_000 },
    );
    const reference = toBaseline(file, 'h', 'f').features.get('x') as NumericReference;
    expect(reference.sample).toMatchObject({ size: 1_000, population: 20_000 });
    const agg = window(reference, column.slice(0, 500));
    const ks = one(DEFAULT_DRIFT_SETTINGS, 'ks', agg);
    expect(ks.nRef).toBe(20_000);
    expect(ks.pValue).toBe(ksPValue(agg.ksStatistic(), 20_000, 500, 'auto').pValue);
  });

  it('a sample holding every training value keeps its size as n_ref', () => {
    const file = buildBaseline(
      { x: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] },
      { model: 'm', modelVersion: '1', sourceFile: 't.csv' },
    );
    const reference = toBaseline(file, 'h', 'f').features.get('x') as NumericReference;
    expect(reference.sample).toMatchObject({ size: 10, population: 10 });
  });
});

describe('PSI decisions', () => {
  it('below its minimum (10 expected values per bin) PSI is insufficient_data while KS reports', () => {
    const agg = window(tenBins(), uniformDigits(60, 1));
    const results = evaluateFeature('x', agg, DEFAULT_DRIFT_SETTINGS);
    const psiResult = results.find((r) => r.method === 'psi')!;
    expect(psiResult).toMatchObject({
      status: 'insufficient_data',
      rule: 'sparse_bins',
      drifted: false,
      statistic: null,
    });
    expect(psiResult.reason).toMatch(/psi needs two bins expecting 10 values/);
    expect(results.find((r) => r.method === 'ks')).toMatchObject({ status: 'ok', rule: 'p_value' });
    const enough = one(DEFAULT_DRIFT_SETTINGS, 'psi', window(tenBins(), uniformDigits(100, 1)));
    expect(enough).toMatchObject({ status: 'ok', bins: 10 });
  });

  it('flags only beyond sampling noise: over the threshold within noise is noise_floor', () => {
    // Shifted mass: PSI well above 0.25 at n = 100.
    const values = Float64Array.from({ length: 100 }, (_, i) => (i < 80 ? i % 4 : 4 + (i % 6)));
    const agg = window(tenBins(), values);
    const flagged = one(DEFAULT_DRIFT_SETTINGS, 'psi', agg);
    expect(flagged.statistic).toBeGreaterThan(0.25);
    expect(flagged).toMatchObject({ drifted: true, warning: true, rule: 'threshold', alpha: 0.05 });
    const strict = {
      ...DEFAULT_DRIFT_SETTINGS,
      thresholds: { ...DEFAULT_DRIFT_SETTINGS.thresholds, psiAlpha: 1e-30 },
    };
    const withinNoise = one(strict, 'psi', agg);
    expect(withinNoise.pValue).toBeGreaterThan(1e-30);
    expect(withinNoise).toMatchObject({ drifted: false, warning: false, rule: 'noise_floor' });
    const off = { ...strict, thresholds: { ...strict.thresholds, psiAlpha: 1 } };
    expect(one(off, 'psi', agg)).toMatchObject({ drifted: true, rule: 'threshold' });
  });
});

describe('pooling sparse bins', () => {
  const rare: CategoricalReference = {
    kind: 'categorical',
    categories: ['a', 'b', 'c', 'd', 'e'],
    index: new Map(['a', 'b', 'c', 'd', 'e'].map((c, i) => [c, i])),
    counts: Float64Array.from([4_000, 4_000, 1_000, 10, 10]),
    count: 9_020,
    other: 0,
  };

  it('merges bins expecting fewer than the minimum, by training share, and keeps new values apart', () => {
    const pooled = poolSparseBins([4_000, 4_000, 1_000, 10, 10, 0], [45, 45, 8, 1, 1, 7], 5);
    // d and e expect 0.2 values: pooled, still short, so they join c (the smallest kept bin);
    // the bin without training values that the window fills stays apart.
    expect([...pooled.reference]).toEqual([4_000, 4_000, 1_020, 0]);
    expect([...pooled.current]).toEqual([45, 45, 10, 7]);
    expect(pooled.original).toBe(6);
  });

  it('chi-square compares the pooled bins and says how many', () => {
    const agg = new CategoricalAggregate(rare);
    for (const [c, k] of [
      ['a', 45],
      ['b', 45],
      ['c', 8],
      ['d', 2],
    ] as const) {
      for (let i = 0; i < k; i++) agg.add(c);
    }
    const r = one(DEFAULT_DRIFT_SETTINGS, 'chi_square', agg);
    const direct = chiSquareContingency([
      Float64Array.from([4_000, 4_000, 1_020]),
      Float64Array.from([45, 45, 10]),
    ]);
    expect(r).toMatchObject({ bins: 3, statistic: direct.statistic, pValue: direct.pValue });
    const p = one(DEFAULT_DRIFT_SETTINGS, 'psi', agg);
    expect(p.statistic).toBe(psi([8_000, 1_020], [90, 10]));
  });
});

describe('correction across the window', () => {
  it('Benjamini–Hochberg is the default, and each result records the correction and its family', () => {
    const settings = DEFAULT_WINDOW_DRIFT_SETTINGS;
    expect(settings.correction).toBe('benjamini_hochberg');
    const results = [1, 2, 3].flatMap((seed) =>
      evaluateFeature(`f${seed}`, window(tenBins(), uniformDigits(200, seed)), settings),
    );
    const corrected = correctWindow(results, settings.correction);
    // Two families, each corrected on its own: the three KS p-values, the three PSI ones.
    for (const r of corrected) {
      expect(r).toMatchObject({ correction: 'benjamini_hochberg', tests: 3 });
    }
    const line = toPoint(
      {
        ...corrected[0]!,
        kind: 'drift',
        model: 'm',
        modelVersion: '1',
        baselineHash: 'h',
        windowStart: 0,
        windowEnd: 1,
      },
      'drift',
    ).toLineProtocol();
    expect(line).toContain('correction="benjamini_hochberg"');
    expect(line).toContain('tests=3i');
    expect(line).toContain('rule="p_value"');
    expect(line).toContain('alpha=0.05');
  });
});
