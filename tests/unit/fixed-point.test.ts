import { describe, expect, it } from 'vitest';
import { addOffset, mergeSum, scaleOf, sumAt } from '../../detectors/aggregates/fixed-point.js';

/** The quanta a sum must hold: exact integers, added as BigInt. */
function expected(offsets: readonly number[], width: number): number {
  const scale = scaleOf(width);
  let total = 0n;
  for (const d of offsets) {
    // To the nearest integer, ties to even.
    const f = d * scale;
    const floor = Math.floor(f);
    const up = f - floor > 0.5 || (f - floor === 0.5 && floor % 2 === 1);
    total += BigInt(up ? floor + 1 : floor);
  }
  // Number(BigInt) rounds once to nearest, as sumAt does; / scale is a power-of-two scaling.
  return Number(total) / scale;
}

describe('fixed-point interval sums', () => {
  it.each([
    ['a unit width', 1],
    ['a width just below a power of two', 2 - 2 ** -52],
    ['a tiny width', 3e-300],
    ['a subnormal width', 5 * Number.MIN_VALUE],
    ['a huge width', 1.5e308],
    ['an overflowed (infinite) width', Infinity],
  ])('keeps every offset of the interval below 2^52 quanta: %s', (_, width) => {
    const scale = scaleOf(width);
    const largest = Number.isFinite(width) ? width : Number.MAX_VALUE;
    expect(largest * scale).toBeLessThan(2 ** 52);
    // A power of two: scaling by it is exact.
    expect(Number.isFinite(scale) && Math.log2(scale) === Math.round(Math.log2(scale))).toBe(true);
  });

  it('adds exactly past 2^53 quanta, in any order and over any merges', () => {
    const width = 1 - 2 ** -53;
    const offsets = Array.from({ length: 3_000 }, (_, i) =>
      i % 7 === 0 ? width : (i * 0.37) % width,
    );
    const forward = new Float64Array(2);
    for (const d of offsets) addOffset(forward, 0, d, scaleOf(width));
    const backward = new Float64Array(2);
    for (const d of [...offsets].reverse()) addOffset(backward, 0, d, scaleOf(width));
    const halves = [new Float64Array(2), new Float64Array(2)];
    offsets.forEach((d, i) => addOffset(halves[i % 2]!, 0, d, scaleOf(width)));
    mergeSum(halves[1]!, halves[0]!, 0);
    const sum = expected(offsets, width);
    const scale = scaleOf(width);
    expect(sumAt(forward, 0, scale)).toBe(sum);
    expect(sumAt(backward, 0, scale)).toBe(sum);
    expect(sumAt(halves[1]!, 0, scale)).toBe(sum);
    // Far more precise than a float sum: within a few ulps of the true total.
    const naive = offsets.reduce((s, d) => s + d, 0);
    expect(Math.abs(sum - naive) / naive).toBeLessThan(1e-13);
  });
});
