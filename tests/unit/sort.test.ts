import { describe, expect, it } from 'vitest';
import { sortInPlace, sortedCopy } from '../../detectors/index.js';

function sameOrder(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

describe('sortedCopy (radix sort over IEEE-754 bits)', () => {
  it('orders exactly as Float64Array.prototype.sort: signs, zeros, infinities, subnormals', () => {
    let seed = 11;
    const next = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const special = [
      0,
      -0,
      Infinity,
      -Infinity,
      5e-324,
      -5e-324,
      Number.MAX_VALUE,
      -Number.MIN_VALUE,
    ];
    for (const n of [0, 1, 7, 2_047, 2_048, 50_000]) {
      const values = Float64Array.from({ length: n }, (_, i) =>
        i % 13 === 0
          ? (special[i % special.length] as number)
          : (next() - 0.5) * 10 ** Math.floor(next() * 40 - 20),
      );
      const input = Float64Array.from(values);
      expect(sameOrder(sortedCopy(values), Float64Array.from(values).sort())).toBe(true);
      expect(sameOrder(values, input)).toBe(true); // the input is not touched
    }
  });

  it('sorts heavily tied and already sorted data', () => {
    const tied = Float64Array.from({ length: 10_000 }, (_, i) => i % 3);
    expect(sameOrder(sortedCopy(tied), Float64Array.from(tied).sort())).toBe(true);
    const ascending = Float64Array.from({ length: 10_000 }, (_, i) => i - 5_000);
    expect(sameOrder(sortedCopy(ascending), ascending)).toBe(true);
  });

  it('sortInPlace sorts the array itself, with or without a scratch buffer, in the same order', () => {
    let seed = 5;
    const next = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const scratch = new Uint32Array(2 * 60_000);
    for (const n of [0, 5, 2_047, 2_048, 60_000]) {
      // Positive values whose lowest 11 bits are all zero make the radix skip one pass: an odd
      // number of passes leaves the result in the scratch buffer, to be copied back.
      const bits = new DataView(new ArrayBuffer(8));
      for (const shared of [false, true]) {
        const values = Float64Array.from({ length: n }, () => {
          const x = (next() - 0.5) * 10 ** Math.floor(next() * 12 - 6);
          bits.setFloat64(0, shared ? Math.abs(x) : x, true);
          if (shared) bits.setUint32(0, bits.getUint32(0, true) & ~0x7ff, true);
          return bits.getFloat64(0, true);
        });
        const want = Float64Array.from(values).sort();
        for (const buffer of [undefined, scratch, new Uint32Array(3)]) {
          const copy = Float64Array.from(values);
          // A view into a larger buffer, as a column's growing array is.
          const backing = new Float64Array(n + 3);
          backing.set(copy, 1);
          const view = backing.subarray(1, n + 1);
          expect(sortInPlace(view, buffer)).toBe(view);
          expect(sameOrder(view, want)).toBe(true);
          expect([backing[0], backing[n + 1]]).toEqual([0, 0]);
        }
      }
    }
  });

  it('returns its own array whatever the number of passes, untouched by later sorts', () => {
    let seed = 3;
    const next = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    // Values in [1, 2) share their top digit (an odd number of passes); the others vary.
    const narrow = Float64Array.from({ length: 3_000 }, () => 1 + next());
    const wide = Float64Array.from({ length: 3_000 }, () => (next() - 0.5) * 1e6);
    const first = sortedCopy(narrow);
    const want = Float64Array.from(narrow).sort();
    sortedCopy(wide);
    expect(sameOrder(first, want)).toBe(true);
  });

  it('returns data already in order as it is, and orders zeros of either sign as sort does', () => {
    for (const n of [3, 5_000]) {
      const zeros = Float64Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 0 : -0));
      expect(sameOrder(sortedCopy(zeros), Float64Array.from(zeros).sort())).toBe(true);
      const sorted = Float64Array.from(zeros).sort();
      const copy = sortedCopy(sorted);
      expect(sameOrder(copy, sorted)).toBe(true);
      expect(copy).not.toBe(sorted); // a copy even then
      const nearlySorted = Float64Array.from({ length: n }, (_, i) => i);
      nearlySorted[n - 1] = -1;
      expect(sameOrder(sortedCopy(nearlySorted), Float64Array.from(nearlySorted).sort())).toBe(
        true,
      );
    }
  });
});

describe('sortedCopy on values spread evenly and not (distribution sort, else radix)', () => {
  let seed = 17;
  const next = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const cases: Record<string, Float64Array> = {
    normal: Float64Array.from({ length: 3_000 }, normal),
    'normal with zeros of either sign': Float64Array.from({ length: 3_000 }, (_, i) =>
      i % 50 === 0 ? (i % 100 === 0 ? -0 : 0) : normal(),
    ),
    'heavy tail (lognormal)': Float64Array.from({ length: 5_000 }, () => Math.exp(3 * normal())),
    'one far outlier (too uneven: radix)': Float64Array.from({ length: 4_000 }, (_, i) =>
      i === 0 ? 1e300 : next(),
    ),
    'heavy ties and signed zeros': Float64Array.from({ length: 3_000 }, (_, i) =>
      i % 3 === 0 ? (i % 2 === 0 ? 0 : -0) : Math.floor(next() * 4) - 2,
    ),
    constant: new Float64Array(2_500).fill(7),
    infinities: Float64Array.from({ length: 2_500 }, (_, i) =>
      i === 5 ? Infinity : i === 9 ? -Infinity : next(),
    ),
    'already ascending': Float64Array.from({ length: 3_000 }, (_, i) => i / 7),
    small: Float64Array.from({ length: 100 }, normal),
  };
  it.each(Object.entries(cases))('orders exactly as sort does: %s', (_, v) => {
    const input = Float64Array.from(v);
    const got = sortedCopy(v);
    expect(sameOrder(got, Float64Array.from(v).sort())).toBe(true);
    expect(sameOrder(v, input)).toBe(true); // the input is not touched
    expect(got).not.toBe(v);
  });
});
