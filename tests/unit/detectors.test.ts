import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  binIndex,
  psi,
  quantileCuts,
  quantileSorted,
  toProportions,
} from '../../detectors/index.js';

interface Reference {
  quantile: { x: number[]; q: number[]; expected: number[] }[];
  searchsorted: { cuts: number[]; x: number[]; expected: number[] }[];
  psi: { expected: number[]; actual: number[]; epsilon: number; psi: number }[];
}

const reference = JSON.parse(
  readFileSync(new URL('../fixtures/reference.json', import.meta.url), 'utf8'),
) as Reference;

describe('PSI', () => {
  it('matches hand-computed values', () => {
    // (0.25-0.5)·ln(0.25/0.5) + (0.75-0.5)·ln(0.75/0.5)
    expect(psi([0.5, 0.5], [0.25, 0.75])).toBeCloseTo(0.274653, 6);
    expect(psi([0.1, 0.2, 0.7], [0.1, 0.2, 0.7])).toBe(0);
  });

  it('replaces an exact zero by ε on its side only, without renormalising', () => {
    // bin 3: (0.25 - 1e-4)·ln(0.25/1e-4); bin 2: (0.25-0.5)·ln(0.5)
    const expected = 0.2499 * Math.log(0.25 / 1e-4) + -0.25 * Math.log(0.5);
    expect(psi([0.5, 0.5, 0], [0.5, 0.25, 0.25], { epsilon: 1e-4 })).toBeCloseTo(expected, 12);
  });

  it('is symmetric in baseline and window', () => {
    expect(psi([0.2, 0.8], [0.6, 0.4])).toBeCloseTo(psi([0.6, 0.4], [0.2, 0.8]), 15);
  });

  it('matches numpy on reference vectors', () => {
    for (const c of reference.psi) {
      expect(psi(c.expected, c.actual, { epsilon: c.epsilon })).toBeCloseTo(c.psi, 12);
    }
  });

  it('rejects misaligned bins and a non-positive ε', () => {
    expect(() => psi([1], [0.5, 0.5])).toThrow(/same number of bins/);
    expect(() => psi([1], [1], { epsilon: 0 })).toThrow(/epsilon/);
  });
});

describe('quantile cut points', () => {
  it("equals numpy's default linear quantile bit for bit", () => {
    for (const c of reference.quantile) {
      const sorted = Float64Array.from(c.x).sort();
      c.q.forEach((q, i) => expect(quantileSorted(sorted, q)).toBe(c.expected[i]));
    }
  });

  it('collapses tied cut points', () => {
    const sorted = Float64Array.from([1, 1, 1, 1, 1, 1, 1, 1, 2, 3]);
    expect([...quantileCuts(sorted, 10)]).toEqual([1, 1.2000000000000002, 2.0999999999999996]);
  });
});

describe('bin index', () => {
  it("equals numpy searchsorted(cuts, x, 'right'), ends open", () => {
    for (const c of reference.searchsorted) {
      expect(c.x.map((x) => binIndex(c.cuts, x))).toEqual(c.expected);
    }
  });

  it('turns counts into proportions; all-zero counts stay zero', () => {
    expect([...toProportions([1, 3])]).toEqual([0.25, 0.75]);
    expect([...toProportions([0, 0])]).toEqual([0, 0]);
  });
});
