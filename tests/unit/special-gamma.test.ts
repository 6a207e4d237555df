import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chiSquareSf, gammaP, gammaQ } from '../../detectors/special/incomplete-gamma.js';

// Rows from tests/fixtures/special/make_gamma.py: scipy's value next to the true one (mpmath).
interface Fixture {
  gamma: [a: number, x: number, qScipy: number, pScipy: number, qTrue: number, pTrue: number][];
  chdtrc: [dof: number, x: number, scipy: number, truth: number][];
}
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/special/gamma.json', import.meta.url), 'utf8'),
) as Fixture;

const TOL = 1e-12;
/** Where scipy is further than this from the true value, it is not the yardstick. */
const SCIPY_TRUSTED = 1e-13;
const UNDERFLOW = 1e-300;

const relErr = (got: number, want: number): number =>
  got === want ? 0 : Math.abs(got - want) / Math.abs(want);

/** The rule: within 1e-12 relative of scipy where scipy's value is above 1e-300, and below
 * 1e-300 where scipy's is. Where scipy is itself further than 1e-13 from the true value (see
 * make_gamma.py), the true value is the yardstick; it is checked everywhere else too.
 * Returns '' or what is wrong. */
function violation(got: number, scipy: number, truth: number): string {
  if (scipy < UNDERFLOW) return got < UNDERFLOW ? '' : `${got} not below 1e-300`;
  const vsTruth = relErr(got, truth);
  if (vsTruth > TOL) return `${got} vs true ${truth}: rel ${vsTruth.toExponential(2)}`;
  const vsScipy = relErr(got, scipy);
  if (relErr(scipy, truth) <= SCIPY_TRUSTED && vsScipy > TOL) {
    return `${got} vs scipy ${scipy}: rel ${vsScipy.toExponential(2)}`;
  }
  return '';
}

describe('incomplete gamma against scipy (and mpmath where scipy is off)', () => {
  it('has a fixture covering the range', () => {
    expect(fixture.gamma.length).toBeGreaterThan(1000);
    const as = fixture.gamma.map((row) => row[0]);
    expect(Math.min(...as)).toBeLessThanOrEqual(0.05);
    expect(Math.max(...as)).toBeGreaterThanOrEqual(1e6);
  });

  it('Q(a, x) = gammaincc', () => {
    const bad = fixture.gamma
      .map(([a, x, q, , qTrue]) => [a, x, violation(gammaQ(a, x), q, qTrue)] as const)
      .filter(([, , msg]) => msg !== '');
    expect(bad).toEqual([]);
  });

  it('P(a, x) = gammainc', () => {
    const bad = fixture.gamma
      .map(([a, x, , p, , pTrue]) => [a, x, violation(gammaP(a, x), p, pTrue)] as const)
      .filter(([, , msg]) => msg !== '');
    expect(bad).toEqual([]);
  });

  it('chiSquareSf(dof, x) = chdtrc', () => {
    const bad = fixture.chdtrc
      .map(([dof, x, c, cTrue]) => [dof, x, violation(chiSquareSf(dof, x), c, cTrue)] as const)
      .filter(([, , msg]) => msg !== '');
    expect(bad).toEqual([]);
  });

  it('gets the cases that motivated it', () => {
    expect(relErr(gammaQ(2500, 2500), 0.4973403788923451)).toBeLessThan(1e-14);
    expect(chiSquareSf(3, 1500)).toBe(0);
    expect(relErr(chiSquareSf(2, 1400), 9.85967654375939e-305)).toBeLessThan(TOL);
  });
});

describe('incomplete gamma edge cases (as scipy, except where noted)', () => {
  it('limits in x', () => {
    expect(gammaQ(3, 0)).toBe(1);
    expect(gammaP(3, 0)).toBe(0);
    expect(gammaQ(3, Infinity)).toBe(0);
    expect(gammaP(3, Infinity)).toBe(1);
    expect(gammaQ(Infinity, 5)).toBe(1);
    expect(gammaP(Infinity, 5)).toBe(0);
    expect(chiSquareSf(4, 0)).toBe(1);
    expect(chiSquareSf(4, Infinity)).toBe(0);
  });

  it('NaN for NaN, a <= 0 (scipy has limits at a = 0) and x < 0', () => {
    for (const [a, x] of [
      [NaN, 1],
      [1, NaN],
      [0, 1],
      [-1, 1],
      [1, -1],
      [Infinity, Infinity],
    ] as const) {
      expect(gammaQ(a, x)).toBeNaN();
      expect(gammaP(a, x)).toBeNaN();
    }
    expect(chiSquareSf(NaN, 1)).toBeNaN();
    expect(chiSquareSf(1, NaN)).toBeNaN();
    expect(chiSquareSf(0, 1)).toBeNaN();
  });

  it('chiSquareSf(dof, x < 0) = 1 (scipy returns NaN; the survival function is 1 there)', () => {
    expect(chiSquareSf(3, -1)).toBe(1);
    expect(chiSquareSf(3, -Infinity)).toBe(1);
  });

  it('P + Q = 1 and both lie in [0, 1]', () => {
    for (const [a, x] of fixture.gamma) {
      const p = gammaP(a, x);
      const q = gammaQ(a, x);
      expect(p >= 0 && p <= 1 && q >= 0 && q <= 1).toBe(true);
      expect(Math.abs(p + q - 1)).toBeLessThan(1e-14);
    }
  });
});
