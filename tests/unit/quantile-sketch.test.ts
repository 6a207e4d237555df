import { describe, expect, it } from 'vitest';
import { QuantileSketch } from '../../detectors/index.js';
import { uniforms } from '../support/dyadic-rng.js';

const QS = [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

/** numpy's quantile(method='lower'): the ⌊q·(n − 1)⌋-th smallest value. */
function lowerQuantile(sorted: Float64Array, q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))] as number;
}

/** Latency-like values: lognormal milliseconds with a few zeros and a long tail. */
function latencies(seed: number, n: number): Float64Array {
  const r = uniforms(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u1 = r() || 1e-12;
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * r());
    out[i] = i % 97 === 0 ? 0 : Math.exp(3 + 1.5 * z);
  }
  return out;
}

function worstRelativeError(sketch: QuantileSketch, values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  let worst = 0;
  for (const q of QS) {
    const exact = lowerQuantile(sorted, q);
    const got = sketch.quantile(q) as number;
    const err = exact === 0 ? Math.abs(got) : Math.abs(got - exact) / exact;
    worst = Math.max(worst, err);
  }
  return worst;
}

describe('quantile sketch (relative error bound)', () => {
  it('every quantile within α of the exact lower quantile, for several α', () => {
    const values = latencies(7, 50_000);
    for (const alpha of [0.001, 0.01, 0.05]) {
      const sketch = new QuantileSketch(alpha, 20_000);
      for (const v of values) sketch.add(v);
      expect(sketch.n).toBe(values.length);
      expect(sketch.collapsed).toBe(false);
      expect(worstRelativeError(sketch, values)).toBeLessThanOrEqual(alpha * (1 + 1e-12));
    }
  });

  it('merging partitions in any order gives the same sketch as one pass', () => {
    const values = latencies(11, 30_000);
    const whole = new QuantileSketch();
    for (const v of values) whole.add(v);
    const parts = [0, 1, 2].map(() => new QuantileSketch());
    values.forEach((v, i) => parts[i % 3]?.add(v));
    const forward = new QuantileSketch();
    for (const p of parts) forward.merge(p);
    const backward = new QuantileSketch();
    for (const p of [...parts].reverse()) backward.merge(p);
    for (const q of QS) {
      expect(forward.quantile(q)).toBe(whole.quantile(q));
      expect(backward.quantile(q)).toBe(whole.quantile(q));
    }
    const restored = QuantileSketch.fromState(forward.toState());
    for (const q of QS) expect(restored.quantile(q)).toBe(whole.quantile(q));
  });

  it('values arriving from large to small, and tiny to huge, keep the bound', () => {
    const values = Float64Array.from({ length: 2_000 }, (_, i) => 1e6 / (i + 1));
    const sketch = new QuantileSketch(0.01);
    for (const v of values) sketch.add(v);
    expect(worstRelativeError(sketch, values)).toBeLessThanOrEqual(0.01 * (1 + 1e-12));
    expect(sketch.collapsed).toBe(false);
  });

  it('past maxBuckets the lowest values fold together; the upper quantiles keep the bound', () => {
    const values = Float64Array.from({ length: 1_000 }, (_, i) => 10 ** (-6 + (12 * i) / 999));
    const sketch = new QuantileSketch(0.01, 200);
    for (const v of values) sketch.add(v);
    expect(sketch.collapsed).toBe(true);
    const sorted = Float64Array.from(values).sort();
    for (const q of [0.9, 0.95, 0.99]) {
      const exact = lowerQuantile(sorted, q);
      expect(Math.abs((sketch.quantile(q) as number) - exact) / exact).toBeLessThanOrEqual(
        0.0100001,
      );
    }
  });

  it('refuses negative and non-finite values; empty gives null', () => {
    const sketch = new QuantileSketch();
    expect(sketch.quantile(0.5)).toBeNull();
    expect([-1, NaN, Infinity].map((v) => sketch.add(v))).toEqual([false, false, false]);
    expect(sketch.n).toBe(0);
    expect(() => new QuantileSketch(0)).toThrow(RangeError);
  });
});
