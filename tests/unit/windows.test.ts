import { describe, expect, it } from 'vitest';
import type { PredictionLog } from '../../src/ingest/prediction-log.js';
import { DEFAULT_WINDOW_DRIFT_SETTINGS, evaluateWindow } from '../../src/windows/evaluate.js';
import { Windower } from '../../src/windows/windower.js';
import { fraudBaseline, storeOf } from '../support/baselines.js';

const baseline = fraudBaseline({
  amount: {
    kind: 'numeric',
    cuts: [10, 20],
    proportions: [0.25, 0.5, 0.25],
    count: 100,
    missing: 0,
  },
  country: { kind: 'categorical', proportions: { DE: 0.5, FR: 0.5 }, count: 100, missing: 0 },
});
const store = storeOf(baseline);

function log(
  timestamp: number,
  features: PredictionLog['features'],
  model = 'fraud',
): PredictionLog {
  return { model, model_version: '3', timestamp, features };
}

describe('windows', () => {
  it('assigns events to tumbling windows [start, start + size) and closes them when the watermark passes the end', () => {
    const w = new Windower(60_000, 0, store);
    expect(w.add(log(0, { amount: 5 }), 0, 0)).toBe('added');
    expect(w.add(log(59_999, { amount: 15 }), 0, 1)).toBe('added');
    expect(w.takeClosed()).toHaveLength(0);
    expect(w.add(log(60_000, { amount: 25 }), 0, 2)).toBe('added');
    const closed = w.takeClosed();
    expect(closed.map((c) => [c.start, c.end, c.events])).toEqual([[0, 60_000, 2]]);
    expect(w.openWindowCount).toBe(1);
  });

  it('holds a window open for the allowed lateness, then drops later events as late', () => {
    const w = new Windower(60_000, 10_000, store);
    w.add(log(1_000, { amount: 5 }), 0, 0);
    w.add(log(65_000, { amount: 5 }), 0, 1);
    expect(w.takeClosed()).toHaveLength(0);
    expect(w.add(log(2_000, { amount: 5 }), 0, 2)).toBe('added');
    w.add(log(70_000, { amount: 5 }), 0, 3);
    expect(w.takeClosed().map((c) => c.events)).toEqual([2]);
    expect(w.add(log(3_000, { amount: 5 }), 0, 4)).toBe('late');
  });

  it('ignores events of models without a baseline: they move no clock', () => {
    const w = new Windower(60_000, 0, store);
    w.add(log(0, { amount: 1 }), 0, 0);
    expect(w.add(log(600_000, { amount: 1 }, 'other'), 0, 1)).toBe('no-baseline');
    expect(w.takeClosed()).toHaveLength(0);
    expect(w.openWindowCount).toBe(1);
  });

  describe('idle partitions', () => {
    function setup(caughtUpAtJoin: boolean) {
      const w = new Windower(60_000, 0, store, 30_000);
      w.setPartitions([0, 1]);
      w.setAssigned(
        [0, 1],
        0,
        new Map([
          [0, true],
          [1, caughtUpAtJoin],
        ]),
      );
      const batch = (p: number, at: number, events: number[], caughtUp = true, usable = true) => {
        events.forEach((t, i) => w.add(log(t, {}), p, at + i));
        w.endBatch(p, at, caughtUp, usable);
      };
      return { w, batch };
    }

    it('stops waiting for a caught-up partition after idleTimeout and two batches of others', () => {
      const { w, batch } = setup(true);
      batch(0, 1_000, [0, 61_000]);
      batch(0, 20_000, [62_000]);
      expect(w.takeClosed()).toHaveLength(0); // partition 1 quiet for only 20 s
      batch(0, 41_000, [63_000]);
      expect(w.takeClosed().map((c) => c.start)).toEqual([0]);
    });

    it('waits for a partition with a backlog at the join, or that was not caught up, however long', () => {
      const { w, batch } = setup(false);
      batch(0, 1_000, [0, 61_000]);
      batch(0, 100_000, [62_000]);
      batch(0, 200_000, [63_000]);
      expect(w.takeClosed()).toHaveLength(0);
      batch(1, 201_000, [1_000], false);
      batch(0, 400_000, [125_000]);
      batch(0, 401_000, [126_000]);
      expect(w.takeClosed()).toHaveLength(0);
    });

    it('does not let a partition of unusable messages (garbage, unknown models) stall the others', () => {
      const { w, batch } = setup(true);
      batch(0, 1_000, [0, 61_000]);
      batch(1, 2_000, [], true, false);
      batch(0, 20_000, [62_000]);
      batch(1, 21_000, [], true, false);
      batch(0, 41_000, [63_000]);
      expect(w.takeClosed().map((c) => c.start)).toEqual([0]);
    });

    it('never moves the watermark back when an idle partition wakes up with older events', () => {
      const { w, batch } = setup(true);
      batch(0, 1_000, [0, 61_000]);
      batch(0, 20_000, [62_000]);
      batch(0, 41_000, [130_000]);
      expect(w.takeClosed().map((c) => c.start)).toEqual([0, 60_000]);
      expect(w.add(log(70_000, {}), 1, 0)).toBe('late');
      batch(1, 42_000, [], true);
      expect(w.watermark).toBe(130_000);
    });
  });

  it('waits for the slowest assigned partition before closing a window', () => {
    const w = new Windower(60_000, 0, store);
    w.setPartitions([0, 1]);
    w.add(log(0, {}), 0, 0);
    w.add(log(130_000, {}), 0, 1);
    expect(w.takeClosed()).toHaveLength(0); // partition 1 has said nothing yet
    expect(w.add(log(1_000, {}), 1, 0)).toBe('added');
    w.add(log(61_000, {}), 1, 1);
    expect(w.takeClosed().map((c) => [c.start, c.events])).toEqual([[0, 2]]);
  });

  it('commits up to the first offset still held by an open window, per partition', () => {
    const w = new Windower(60_000, 0, store);
    w.add(log(0, {}), 0, 10);
    w.add(log(61_000, {}), 0, 11);
    w.add(log(1_000, {}), 1, 4);
    w.add(log(61_500, {}), 1, 5);
    expect(w.takeClosed()).toHaveLength(1);
    expect(
      w.committableOffsets(
        new Map([
          [0, 11],
          [1, 5],
        ]),
      ),
    ).toEqual(
      new Map([
        [0, 11],
        [1, 5],
      ]),
    );
  });

  it('commits past the last processed offset when no open window holds events of a partition', () => {
    const w = new Windower(60_000, 0, store);
    w.add(log(0, {}), 0, 1);
    w.add(log(60_000, {}), 0, 2);
    expect(w.takeClosed()).toHaveLength(1);
    expect(w.add(log(0, {}, 'other'), 1, 3)).toBe('no-baseline');
    expect(
      w.committableOffsets(
        new Map([
          [0, 2],
          [1, 3],
        ]),
      ),
    ).toEqual(
      new Map([
        [0, 2],
        [1, 4],
      ]),
    );
  });

  it('after a reset (rebalance), open windows are forgotten and the committed watermark is the floor', () => {
    const w = new Windower(60_000, 0, store);
    w.add(log(0, {}), 0, 0);
    w.add(log(61_000, {}), 0, 1);
    w.takeClosed();
    w.reset(60_000);
    expect(w.openWindowCount).toBe(0);
    expect(w.add(log(59_000, {}), 0, 0)).toBe('late');
    expect(w.add(log(61_000, {}), 0, 1)).toBe('added');
    expect(w.takeClosed()).toHaveLength(0);
  });

  it('after a restored watermark, replayed events of emitted windows are late', () => {
    const w = new Windower(60_000, 0, store);
    w.reset(120_000);
    expect(w.add(log(119_999, {}), 0, 0)).toBe('late');
    expect(w.add(log(120_000, {}), 0, 1)).toBe('added');
  });

  it('counts missing and wrong-typed values and evaluates PSI against the baseline bins', () => {
    const w = new Windower(60_000, 0, store);
    const events: PredictionLog['features'][] = [
      { amount: 5, country: 'DE' },
      { amount: 15, country: 'DE' },
      { amount: 15, country: 'IT' },
      { amount: 25, country: null },
      { amount: 'lots', country: 'FR' },
      {},
    ];
    events.forEach((f, i) => w.add(log(i, f), 0, i));
    w.add(log(60_000, {}), 0, 99);
    const [window] = w.takeClosed();
    const results = evaluateWindow(window!, {
      ...DEFAULT_WINDOW_DRIFT_SETTINGS,
      numericMethods: ['psi'],
      categoricalMethods: ['psi'],
      minSamples: 1,
    });
    const drift = results.filter((r) => r.kind === 'drift');
    const amount = drift.find((r) => r.feature === 'amount')!;
    expect(amount).toMatchObject({
      n: 4,
      missing: 2,
      windowStart: 0,
      windowEnd: 60_000,
      baselineHash: 'abcdef0123456789',
    });
    expect(amount.statistic).toBe(0); // window 1/4, 2/4, 1/4 equals the baseline exactly
    const country = drift.find((r) => r.feature === 'country')!;
    // bins DE, FR, IT(new: baseline ε): window 2/4, 1/4, 1/4
    const e = 1e-4;
    const expected =
      (0.5 - 0.5) * Math.log(1) + (0.25 - 0.5) * Math.log(0.5) + (0.25 - e) * Math.log(0.25 / e);
    expect(country.statistic).toBeCloseTo(expected, 12);
    expect(country).toMatchObject({ n: 4, missing: 2, drifted: true });
  });

  it('writes a summary point per feature and applies per-feature overrides', () => {
    const w = new Windower(60_000, 0, store);
    [5, 15, 15, 25].forEach((amount, i) =>
      w.add(log(i, { amount, country: i % 2 ? 'DE' : 'XX' }), 0, i),
    );
    w.add(log(60_000, {}), 0, 99);
    const [window] = w.takeClosed();
    const points = evaluateWindow(window!, {
      ...DEFAULT_WINDOW_DRIFT_SETTINGS,
      numericMethods: ['psi'],
      categoricalMethods: ['psi', 'chi_square'],
      minSamples: 1,
      features: new Map([
        ['amount', { methods: ['psi', 'hellinger'], thresholds: { psi: 5 } }],
        ['country', { methods: ['ks'], minSamples: 10 }],
      ]),
    });
    const summaries = points.filter((p) => p.kind === 'summary');
    expect(summaries.find((p) => p.feature === 'amount')).toMatchObject({
      n: 4,
      missing: 0,
      mean: 15,
      min: 5,
      max: 25,
    });
    expect(summaries.find((p) => p.feature === 'amount')?.std).toBeCloseTo(Math.sqrt(200 / 3), 12);
    expect(summaries.find((p) => p.feature === 'country')).toMatchObject({
      n: 4,
      categories: 2,
      unseen: 2,
    });
    const drift = points.filter((p) => p.kind === 'drift');
    const of = (feature: string) => drift.filter((p) => p.feature === feature);
    expect(of('amount').map((p) => [p.method, p.threshold])).toEqual([
      ['psi', 5],
      ['hellinger', 0.1],
    ]);
    // KS has no meaning for categories; too few values for the feature's own minimum.
    expect(of('country').map((p) => [p.method, p.status])).toEqual([['ks', 'insufficient_data']]);
    expect(of('_dataset')).toHaveLength(1);
  });
});
