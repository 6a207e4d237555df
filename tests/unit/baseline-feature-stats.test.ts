import { describe, expect, it } from 'vitest';
import { countIntoBins } from '../../detectors/index.js';
import { numericFeature } from '../../src/baseline/feature-stats.js';
import { sfc32 } from '../../scripts/sfc32.js';

describe('numericFeature', () => {
  it('bins every value as countIntoBins does: ties on the cuts, few distinct values, ±0', () => {
    const next = sfc32(3);
    const rnd = () => next() / 4294967296;
    const shapes: (() => number)[] = [
      () => rnd() * 100 - 50,
      // Heavy ties: many values equal to a cut, which belong to the bin above it.
      () => Math.floor(rnd() * 40) / 4,
      // Few distinct values (per-value bins), zeros of both signs among them.
      () => [-0, 0, 1, 2, -3, 0.5][Math.floor(rnd() * 6)] as number,
      () => (rnd() < 0.9 ? 7 : rnd()),
    ];
    for (const [s, draw] of shapes.entries()) {
      for (const n of [1, 2, 50, 5_000]) {
        const values = Float64Array.from({ length: n }, draw);
        const original = Float64Array.from(values);
        const f = numericFeature(values, 0, { bins: 10, sampleSize: 100 });
        if (f.kind !== 'numeric') throw new Error('expected a numeric feature');
        const counts = new Float64Array(f.cuts.length + 1);
        countIntoBins(Float64Array.from(f.cuts), original, counts);
        const want = [...counts].map((c) => c / n);
        expect(f.proportions, `shape ${s}, ${n} values`).toEqual(want);
      }
    }
  });
});
