import { describe, expect, it } from 'vitest';
import type { BaselineFileV1 } from '../../src/baseline/file-format-v1.js';
import type { PredictionLog } from '../../src/prediction-log/prediction-log.js';
import type { WindowPoint } from '../../src/drift/window-points.js';
import { Windower } from '../../src/windows/windower.js';
import { fraudBaseline, storeOf } from '../support/baselines.js';
import { uniforms, wide } from '../support/dyadic-rng.js';
import { differences, evaluateAllMethods, keyOf } from '../support/window-points.js';

const PARTITIONS = [0, 1, 2, 3];
const SIZE = 60_000;

const training = (() => {
  const r = uniforms(1);
  return Array.from({ length: 400 }, () => wide(r, 0)).sort((a, b) => a - b);
})();

const numeric: BaselineFileV1['features'][string] = {
  kind: 'numeric',
  cuts: [-1, 0, 1, 100],
  proportions: [0.2, 0.1, 0.2, 0.2, 0.3],
  count: training.length,
  missing: 0,
  std: 1e5,
  sample: training,
};

const baseline = fraudBaseline({
  amount: numeric,
  score: numeric,
  country: {
    kind: 'categorical',
    proportions: { DE: 0.5, FR: 0.3, IT: 0.2 },
    count: 1_000,
    missing: 0,
  },
});

/**
 * Each partition's events in offset order: the order the consumer always sees within it.
 * Seeded so that, summed in arrival order, the summaries, both Wasserstein fields and the
 * categorical statistics all differ in their last bits between the interleavings below.
 */
const perPartition: PredictionLog[][] = PARTITIONS.map((p) => {
  const r = uniforms(300 + p);
  return Array.from({ length: 250 }, (_, i) => ({
    model: 'fraud',
    model_version: '3',
    timestamp: i * 200 + p,
    features: {
      // The training distribution, part of it shifted: ECDFs that cross (Wasserstein's bound).
      amount: r() < 0.05 ? null : wide(r, p === 3 ? 0.5 : 0),
      // Shifted up: many values beyond the reference sample (Wasserstein's end intervals).
      score: wide(r, 0.5),
      // Unseen categories, first seen in an order that depends on the interleaving.
      country:
        r() < 0.6 ? (['DE', 'FR', 'IT'][Math.floor(r() * 3)] as string) : `new-${p}-${i % 7}`,
    },
  }));
});

type Batch = { partition: number; from: number; to: number };

/** Batches of `size` events per partition, visited in `order`, until every partition is read. */
function interleave(order: readonly number[], size: (round: number) => number): Batch[] {
  const next = new Map(PARTITIONS.map((p) => [p, 0]));
  const batches: Batch[] = [];
  for (let round = 0; [...next.values()].some((o) => o < 250); round++) {
    for (const partition of order) {
      const from = next.get(partition) as number;
      const to = Math.min(250, from + size(round));
      if (to > from) batches.push({ partition, from, to });
      next.set(partition, to);
    }
  }
  return batches;
}

function evaluate(batches: readonly Batch[]): WindowPoint[] {
  const w = new Windower(SIZE, 0, storeOf(baseline));
  w.setPartitions(PARTITIONS);
  for (const { partition, from, to } of batches) {
    for (let offset = from; offset < to; offset++) {
      w.add(perPartition[partition]![offset]!, partition, offset);
    }
  }
  for (const p of PARTITIONS) {
    w.add({ model: 'fraud', model_version: '3', timestamp: SIZE, features: {} }, p, 250);
  }
  const closed = w.takeClosed();
  expect(closed).toHaveLength(1);
  return evaluateAllMethods(closed[0]!);
}

describe('window results do not depend on how partitions interleave', () => {
  const reference = evaluate(interleave(PARTITIONS, () => 7));

  it('evaluates the data it was given (summary, Wasserstein with a bound, unseen categories)', () => {
    const amount = reference.find((p) => keyOf(p) === 'amount/summary');
    expect(amount?.n).toBeGreaterThan(900);
    expect(Number.isFinite(amount?.kind === 'summary' && amount.std)).toBe(true);
    const w = reference.find((p) => keyOf(p) === 'amount/wasserstein');
    expect(w?.kind === 'drift' && w.status).toBe('ok');
    expect(w?.kind === 'drift' && w.bound).toBeGreaterThan(0);
    const country = reference.find((p) => keyOf(p) === 'country/summary');
    expect(country).toMatchObject({ categories: 3 + 4 * 7 });
  });

  it.each([
    ['partitions in reverse order, batches of 13', interleave([3, 2, 1, 0], () => 13)],
    [
      'another order, batch sizes varying from 1 to 40',
      interleave([2, 0, 3, 1], (r) => 1 + ((r * 17) % 40)),
    ],
    ['one partition after another', interleave([1, 3, 0, 2], () => 250)],
  ])('gives bit-identical points for every field: %s', (_, batches) => {
    expect(differences(reference, evaluate(batches))).toEqual([]);
  });
});
