import { describe, expect, it } from 'vitest';
import {
  NumericAggregate,
  ksStatisticSorted,
  toReferenceSample,
  type NumericReference,
} from '../../detectors/index.js';
import { uniforms, wide } from '../support/dyadic-rng.js';

// A 10,000-value reference, as the default baseline builds: dense cells would take 320 KB.
const r = uniforms(5);
const training = Array.from({ length: 10_000 }, () => wide(r));
const reference: NumericReference = {
  kind: 'numeric',
  cuts: Float64Array.from([-1, 0, 1]),
  binCounts: Float64Array.from([2_500, 2_500, 2_500, 2_500]),
  count: 10_000,
  std: 1,
  sample: toReferenceSample(training),
};
const DENSE_BYTES = 32 * ((reference.sample?.values.length ?? 0) + 1);

/** Values of every kind: inside the sample, equal to sample values, beyond both ends. */
function draw(n: number, seed: number): number[] {
  const g = uniforms(seed);
  return Array.from({ length: n }, (_, i) =>
    i % 7 === 0 ? training[i % training.length]! : (wide(g) - 0.5) * 3,
  );
}

function filled(values: number[], source = 0): NumericAggregate {
  const a = new NumericAggregate(reference);
  for (const x of values) a.add(x, source);
  return a;
}

describe('KS cells of a window', () => {
  it('a window of up to 1,000 values keeps them (8 KiB at most), not 320 KB of cells', () => {
    const a = filled(draw(1_000, 1));
    expect(a.ksBytes).toBeLessThanOrEqual(8 * 1024);
    // Reading its state (handing a partial on) leaves it small.
    a.toState();
    expect(a.ksBytes).toBeLessThanOrEqual(8 * 1024);
    expect(new NumericAggregate(reference).ksBytes).toBe(0);
  });

  it("a small window's state lists the cells its values fill", () => {
    const large = draw(45_000, 12); // dense
    for (const values of [draw(1, 8), draw(300, 9), training.slice(0, 500), [-1e9, 1e9, 0, -0]]) {
      // Values placed into dense slots one by one, against the listed cells added to them.
      const placed = filled(large);
      placed.merge(filled(values));
      const listed = filled(large);
      listed.merge(NumericAggregate.fromState(reference, filled(values).toState()));
      expect(listed.ksCells()).toEqual(placed.ksCells());
    }
  });

  it('merging the partials of small windows (stage 2) keeps them small', () => {
    const a = NumericAggregate.fromState(reference, filled(draw(300, 6)).toState());
    for (let p = 0; p < 5; p++) {
      a.merge(NumericAggregate.fromState(reference, filled(draw(300, 7 + p)).toState()));
    }
    expect(a.ksBytes).toBeLessThanOrEqual(1_800 * 48);
    const all = filled([...draw(300, 6), ...[0, 1, 2, 3, 4].flatMap((p) => draw(300, 7 + p))]);
    expect(a.ksCells()).toEqual(all.ksCells());
    expect(a.ksStatistic()).toBe(all.ksStatistic());
  });

  it('never takes more room than the dense cells, however many values', () => {
    const a = new NumericAggregate(reference);
    for (const x of draw(60_000, 2)) {
      a.add(x);
      if (a.ksBytes > DENSE_BYTES) throw new Error(`${a.ksBytes} bytes > ${DENSE_BYTES}`);
    }
    expect(a.ksBytes).toBe(DENSE_BYTES);
  });

  it('gives bit-identical cells and statistics whichever form each side is in', () => {
    const small = draw(300, 3);
    const large = draw(45_000, 4); // past the hold limit: dense
    // The reference result: every value added to one aggregate, in order.
    const all = filled([...small, ...large, ...small]);
    const cases: [string, () => NumericAggregate][] = [
      [
        'held + dense + held',
        () => {
          const a = filled(small);
          a.merge(filled(large));
          a.merge(filled(small));
          return a;
        },
      ],
      [
        'dense + held + rebuilt',
        () => {
          const a = filled(large);
          a.merge(filled(small));
          a.merge(NumericAggregate.fromState(reference, filled(small).toState()));
          return a;
        },
      ],
      [
        'rebuilt + rebuilt + held',
        () => {
          const a = NumericAggregate.fromState(reference, filled(small).toState());
          a.merge(NumericAggregate.fromState(reference, filled(large).toState()));
          a.merge(filled(small));
          return a;
        },
      ],
      [
        'empty + rebuilt + rebuilt (still sparse) + dense + rebuilt',
        () => {
          const a = new NumericAggregate(reference);
          a.merge(NumericAggregate.fromState(reference, filled(small).toState()));
          a.merge(NumericAggregate.fromState(reference, filled(large).toState()));
          a.merge(NumericAggregate.fromState(reference, filled(small).toState()));
          return a;
        },
      ],
      [
        'held + held (still held) + dense',
        () => {
          const a = filled(small);
          a.merge(filled(small));
          a.merge(filled(large));
          return a;
        },
      ],
    ];
    const want = all.toState();
    const wantCells = all.ksCells();
    for (const [name, build] of cases) {
      const merged = build();
      // The float moments (and Wasserstein's sums beyond the sample's ends) follow the merge
      // order; the cells and everything read from them must agree bit for bit.
      expect(merged.ksCells(), name).toEqual(wantCells);
      expect(merged.toState().binCounts, name).toEqual(want.binCounts);
      expect(merged.ksStatistic(), name).toBe(all.ksStatistic());
    }
  });
});

describe('KS statistic read from listed cells', () => {
  it('equals ks_2samp over the raw values for held, rebuilt and listed windows, ties and gaps included', () => {
    const g = uniforms(11);
    // A coarse reference (many ties, wide gaps between listed cells) and windows that fall
    // inside, on, and beyond it.
    const coarse = Array.from({ length: 400 }, () => Math.floor(g() * 60) / 4);
    const sample = toReferenceSample(coarse);
    const ref: NumericReference = { ...reference, sample };
    const sortedRef = Float64Array.from(coarse).sort();
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(g() * 120);
      const shift = (g() - 0.5) * 8;
      const spread = 0.5 + g() * 3;
      const values = Array.from({ length: n }, (_, i) =>
        i % 3 === 0 ? Math.floor(g() * 60) / 4 : shift + (g() - 0.5) * 15 * spread,
      );
      const want = ksStatisticSorted(sortedRef, Float64Array.from(values).sort());
      const held = new NumericAggregate(ref);
      held.addAll(values);
      expect(held.ksStatistic(), `held, trial ${trial}`).toBe(want);
      const rebuilt = NumericAggregate.fromState(ref, held.toState());
      expect(rebuilt.ksStatistic(), `rebuilt, trial ${trial}`).toBe(want);
      const listed = NumericAggregate.fromState(ref, {
        ...held.toState(),
        ks: { form: 'cells', cells: held.ksCells() },
      });
      expect(listed.ksStatistic(), `listed cells, trial ${trial}`).toBe(want);
    }
  });
});
