import { describe, expect, it } from 'vitest';
import { countAtMostFrom } from '../../detectors/aggregates/ks-statistic.js';
import { sortedIndexOf } from '../../detectors/sorted-index.js';

/** #values <= x by a plain scan: what both lookups must return. */
function countAtMost(values: Float64Array, x: number): number {
  let k = 0;
  while (k < values.length && (values[k] as number) <= x) k++;
  return k;
}

describe('lookups in an ascending array', () => {
  let seed = 7;
  const next = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  // Ties, a dense cluster and far outliers: buckets with many breakpoints and none.
  const values = Float64Array.from(
    [
      ...Array.from({ length: 300 }, () => Math.floor(next() * 50)),
      ...Array.from({ length: 300 }, () => next() * 1e-3),
      -1e6,
      1e6,
    ].sort((a, b) => a - b),
  );
  const queries = [
    ...Array.from({ length: 2_000 }, () => (next() - 0.5) * 120),
    ...values,
    -Infinity,
    Infinity,
    -1e7,
    1e7,
  ].sort((a, b) => a - b);

  it('countAtMostFrom: ascending queries, each search starting where the last ended', () => {
    let k = 0;
    for (const x of queries) {
      k = countAtMostFrom(values, x, k);
      expect(k, `x = ${x}`).toBe(countAtMost(values, x));
    }
  });

  it('countAtMostFrom: any start at or below the answer, queries beyond both ends', () => {
    for (const x of [-Infinity, -1e6, 0, 0.5e-3, 17, 49, 1e6, Infinity]) {
      const want = countAtMost(values, x);
      for (const from of [0, Math.floor(want / 2), Math.max(0, want - 1), want]) {
        expect(countAtMostFrom(values, x, from), `x = ${x} from ${from}`).toBe(want);
      }
    }
    expect(countAtMostFrom(new Float64Array(0), 1, 0)).toBe(0);
  });

  it('SortedIndex.countAtMost agrees with the scan', () => {
    const index = sortedIndexOf(values);
    for (const x of queries) expect(index.countAtMost(x), `x = ${x}`).toBe(countAtMost(values, x));
  });
});
