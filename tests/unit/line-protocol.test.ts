import { describe, expect, it } from 'vitest';
import { toPoint } from '../support/to-point.js';
import { toLine } from '../../src/sinks/line-protocol.js';
import type { WindowPoint } from '../../src/drift/window-points.js';
import { rng } from '../../scripts/synthetic.js';

const TEXTS = ['fraud', 'a b', 'x,y', 'k=v', 'q"uo\\te', 'new\nline', 'tab\t\r', '', 'ü €', '=,= '];
const NUMBERS = [
  0,
  -0,
  1,
  -1.5,
  0.1 + 0.2,
  1e-300,
  1e300,
  12345678901234,
  NaN,
  Infinity,
  -Infinity,
];

function generate(seed: number): WindowPoint[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const maybe = <T>(x: T): T | undefined => (r() < 0.5 ? x : undefined);
  const num = () => (r() < 0.3 ? pick(NUMBERS) : (r() - 0.5) * 10 ** Math.floor(r() * 20 - 10));
  const int = () => Math.floor(r() * 1e6);
  const points: WindowPoint[] = [];
  for (let i = 0; i < 400; i++) {
    const windowStart = int() * 1000;
    const identity = {
      model: pick(TEXTS),
      modelVersion: pick(TEXTS),
      baselineHash: pick(['abc123', '']),
      windowStart,
      windowEnd: windowStart + pick([60_000, 120_000, 1_500, 86_400_000]),
      feature: pick(TEXTS),
      n: int(),
      missing: int(),
      // Count windows name their window and write their start.
      ...(r() < 0.3 ? { windowTag: pick(['count:1000', 'count:5']) } : {}),
    };
    const kind = pick(['summary', 'drift', 'model'] as const);
    if (kind === 'summary') {
      points.push({
        ...identity,
        kind,
        mean: pick([num(), null, undefined]),
        std: pick([num(), null, undefined]),
        min: pick([num(), null, undefined]),
        max: pick([num(), null, undefined]),
        categories: maybe(int()),
        unseen: maybe(int()),
        belowMin: maybe(int()),
        aboveMax: maybe(int()),
        belowLow: pick([int(), null, undefined]),
        aboveHigh: pick([int(), null, undefined]),
        wrongType: maybe(int()),
        counts: pick([undefined, [], [1, 2, 3]]),
      });
    } else if (kind === 'drift') {
      points.push({
        ...identity,
        kind,
        method: pick(['ks', 'psi', 'chi_square', 'drift_share'] as const),
        status: pick(['ok', 'insufficient_data', 'unavailable'] as const),
        statistic: pick([num(), null]),
        pValue: pick([num(), null]),
        adjustedPValue: pick([num(), null]),
        threshold: num(),
        alpha: pick([num(), null]),
        rule: pick(['threshold', 'min_samples', 'p_value'] as const),
        drifted: r() < 0.5,
        warning: r() < 0.5,
        nRef: int(),
        bins: maybe(int()),
        correction: maybe(pick(['none', 'benjamini_hochberg'] as const)),
        tests: maybe(int()),
        bound: maybe(num()),
        unseen: maybe(int()),
        reason: maybe(pick(TEXTS)),
        pValueMethod: maybe(pick(['exact', 'asymp'] as const)),
      });
    } else {
      const names = ['events', 'n', 'missing', 'a b', 'x=y', 'errors', 'events'];
      const record = <T>(value: () => T) =>
        Object.fromEntries(names.filter(() => r() < 0.4).map((k) => [k, value()]));
      points.push({
        ...identity,
        missing: 0,
        kind,
        method: pick(['ops', 'schema', 'quality'] as const),
        ints: record(int),
        floats: record(() => pick([num(), null])),
        strings: record(() => pick(TEXTS)),
      });
    }
  }
  return points;
}

describe('toLine', () => {
  it("writes every kind of point exactly as the client's Point would", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      for (const p of generate(seed)) {
        let expected: string | undefined;
        try {
          expected = toPoint(p, 'drift bench,x').toLineProtocol();
        } catch (err) {
          expect(() => toLine(p, 'drift bench,x')).toThrow((err as Error).message);
          continue;
        }
        expect(toLine(p, 'drift bench,x')).toBe(expected);
      }
    }
  });
});
