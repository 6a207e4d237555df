import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kolmogorovSf, smirnovSf } from '../../detectors/special/kolmogorov.js';

// scipy reference values: tests/fixtures/special/make_kolmogorov.py writes this file.
interface Case {
  n: number;
  d: number;
  sf: number;
  branch?: string;
}
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/special/kolmogorov.json', import.meta.url), 'utf8'),
) as { scipy: string; kstwo: Case[]; smirnov: Case[] };

/** Relative error <= 1e-9 where scipy's value is > 1e-300; below that both must be < 1e-300. */
function mismatches(cases: Case[], f: (n: number, d: number) => number): string[] {
  const out: string[] = [];
  for (const c of cases) {
    const got = f(c.n, c.d);
    const ok = c.sf > 1e-300 ? Math.abs(got - c.sf) <= 1e-9 * c.sf : got >= 0 && got < 1e-300;
    if (!ok) out.push(`${c.branch ?? 'smirnov'} n=${c.n} d=${c.d}: scipy ${c.sf}, got ${got}`);
  }
  return out;
}

describe('kolmogorovSf (scipy.stats.kstwo.sf)', () => {
  const branches = [...new Set(fixture.kstwo.map((c) => c.branch))];

  it('covers every branch of scipy’s dispatcher', () => {
    expect(branches.sort()).toEqual(
      [
        'dmtw',
        'pelz-good',
        'pomeranz',
        'ruben-gambino-high',
        'ruben-gambino-low',
        'smirnov',
        'smirnov-approx',
        't<=0.5',
        'x>=1',
        'zero',
      ].sort(),
    );
  });

  for (const branch of branches) {
    it(`matches scipy ${fixture.scipy} to 1e-9 relative: ${branch}`, () => {
      const cases = fixture.kstwo.filter((c) => c.branch === branch);
      expect(mismatches(cases, kolmogorovSf)).toEqual([]);
    });
  }

  it('returns NaN for a non-integer or non-positive n, or a NaN d', () => {
    for (const [n, d] of [
      [0, 0.3],
      [-3, 0.3],
      [2.5, 0.3],
      [Infinity, 0.3],
      [NaN, 0.3],
      [10, NaN],
    ] as const) {
      expect(kolmogorovSf(n, d)).toBeNaN();
    }
    expect(kolmogorovSf(10, -1)).toBe(1);
    expect(kolmogorovSf(10, Infinity)).toBe(0);
  });
});

describe('smirnovSf (scipy.special.smirnov)', () => {
  it(`matches scipy ${fixture.scipy} to 1e-9 relative`, () => {
    expect(mismatches(fixture.smirnov, smirnovSf)).toEqual([]);
  });

  it('returns NaN outside its domain', () => {
    for (const [n, d] of [
      [0, 0.3],
      [2.5, 0.3],
      [10, -0.1],
      [10, 1.1],
      [10, NaN],
    ] as const) {
      expect(smirnovSf(n, d)).toBeNaN();
    }
  });
});
