import { describe, expect, it } from 'vitest';
import type { CategoricalAggregate } from '../../detectors/index.js';
import { LIMITS } from '../../src/prediction-log/limits.js';
import type { PredictionLog } from '../../src/prediction-log/prediction-log.js';
import { DEFAULT_WINDOW_DRIFT_SETTINGS, evaluateWindow } from '../../src/drift/window-points.js';
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
    w.add(log(30_000, { amount: 5 }), 0, 1);
    w.add(log(65_000, { amount: 5 }), 0, 2);
    expect(w.takeClosed()).toHaveLength(0);
    expect(w.add(log(2_000, { amount: 5 }), 0, 3)).toBe('added');
    w.add(log(70_000, { amount: 5 }), 0, 4);
    expect(w.takeClosed().map((c) => c.events)).toEqual([3]);
    expect(w.add(log(3_000, { amount: 5 }), 0, 5)).toBe('late');
  });

  it('keeps a window per additional size; an event late for the small one still counts in the large one', () => {
    const w = new Windower(60_000, 0, store, Infinity, Infinity, [180_000]);
    w.add(log(1_000, { amount: 5 }), 0, 0);
    w.add(log(61_000, { amount: 5 }), 0, 1);
    w.add(log(125_000, { amount: 5 }), 0, 2);
    const first = w.takeClosed();
    expect(first.map((c) => [c.start, c.end, c.events])).toEqual([
      [0, 60_000, 1],
      [60_000, 120_000, 1],
    ]);
    // Late for [60 s, 120 s), still inside [0, 180 s).
    expect(w.add(log(90_000, { amount: 5 }), 0, 3)).toBe('added');
    w.add(log(200_000, { amount: 5 }), 0, 4);
    expect(w.takeClosed().map((c) => [c.start, c.end, c.events])).toEqual([
      [0, 180_000, 4],
      [120_000, 180_000, 1],
    ]);
    // Offsets: the large window held offset 0 until it closed.
    expect(w.committableOffsets(new Map([[0, 4]])).get(0)).toBe(4);
  });

  it("counts a late or a too-far-ahead event in its version's oldest open window (ops point)", () => {
    const w = new Windower(60_000, 0, store);
    w.add(log(1_000, { amount: 5 }), 0, 0);
    w.add(log(70_000, { amount: 5 }), 0, 1);
    expect(w.takeClosed()).toHaveLength(1);
    const late = log(2_000, { amount: 5 });
    expect(w.add(late, 0, 2)).toBe('late');
    w.countUnwindowed(late, 'late');
    w.countUnwindowed(log(9e9, { amount: 5 }), 'future');
    w.add(log(130_000, { amount: 5 }), 0, 3);
    const [open] = w.takeClosed();
    expect(open?.ops).toMatchObject({ lateEvents: 1, futureEvents: 1 });
  });

  it('ignores events of models without a baseline: they move no clock', () => {
    const w = new Windower(60_000, 0, store);
    w.add(log(0, { amount: 1 }), 0, 0);
    expect(w.add(log(600_000, { amount: 1 }, 'other'), 0, 1)).toBe('no-baseline');
    expect(w.takeClosed()).toHaveLength(0);
    expect(w.openWindowCount).toBe(1);
  });

  describe('idle partitions', () => {
    const IDLE = 30_000;
    /** Two partitions; partition 1 resumes at offset 0 with `endAtJoin` records to read. */
    function setup(endAtJoin = 0) {
      const w = new Windower(60_000, 0, store, IDLE, 60_000);
      w.setPartitions([0, 1]);
      w.setAssigned(
        [0, 1],
        0,
        new Map([
          [0, { readTo: 0, end: 0 }],
          [1, { readTo: 0, end: endAtJoin }],
        ]),
      );
      const offsets = new Map<number, number>();
      const batch = (p: number, at: number, events: number[], usable = events.length > 0) => {
        for (const t of events) {
          const offset = offsets.get(p) ?? 0;
          w.add(log(t, {}), p, offset);
          offsets.set(p, offset + 1);
        }
        if (!usable) offsets.set(p, (offsets.get(p) ?? 0) + 1);
        w.endBatch(p, at, offsets.get(p) ?? 0, usable);
      };
      /** A lag probe sent at `at`: partition 1's log ends at `end1`. */
      const probe = (at: number, end1: number) =>
        w.applyProbe(
          new Map([
            [0, offsets.get(0) ?? 0],
            [1, end1],
          ]),
          at,
          at,
        );
      return { w, batch, probe, offsets };
    }

    it('stops waiting for a partition once a probe sent idleTimeout after its last event shows nothing to read', () => {
      const { w, batch, probe } = setup();
      batch(0, 1_000, [0, 30_000, 61_000]);
      expect(w.needsProbe(20_000)).toBe(false);
      probe(20_000, 0);
      expect(w.takeClosed()).toHaveLength(0); // partition 1 quiet for only 20 s
      expect(w.needsProbe(30_000)).toBe(true);
      probe(31_000, 0);
      expect(w.takeClosed().map((c) => c.start)).toEqual([0]);
    });

    it('waits for a partition with something to read, however long it has been quiet', () => {
      const { w, batch, probe } = setup(5);
      batch(0, 1_000, [0, 30_000, 61_000]);
      probe(100_000, 5);
      probe(200_000, 7);
      expect(w.takeClosed()).toHaveLength(0);
      batch(1, 201_000, [1_000]);
      probe(400_000, 7); // read 1 of 7
      expect(w.takeClosed()).toHaveLength(0);
    });

    it('does not take a wait on a sink for quiet input: a probe after the wait sees the backlog', () => {
      const { w, batch, probe } = setup();
      batch(1, 1_000, [0, 1_000]);
      batch(0, 1_000, [0, 30_000, 61_000]);
      // Partition 1 was caught up, then the daemon waited 60 s on InfluxDB while it received more.
      probe(61_000, 40);
      w.tick(62_000);
      expect(w.takeClosed()).toHaveLength(0);
      batch(0, 62_000, [62_000]);
      expect(w.takeClosed()).toHaveLength(0);
    });

    it('stops trusting an old probe: if probes fail, partitions count again', () => {
      const { w, batch, probe } = setup();
      batch(0, 1_000, [0, 30_000, 61_000]);
      probe(31_000, 0);
      expect(w.watermark).toBe(61_000);
      w.tick(31_000 + 60_001);
      expect(w.watermark).toBe(-Infinity);
    });

    it('does not let a partition of unusable messages (garbage, unknown models) stall the others', () => {
      const { w, batch, probe, offsets } = setup();
      batch(0, 1_000, [0, 30_000, 61_000]);
      batch(1, 2_000, [], false);
      batch(1, 21_000, [], false);
      probe(41_000, offsets.get(1) ?? 0);
      expect(w.takeClosed().map((c) => c.start)).toEqual([0]);
    });

    it('never moves the watermark back when an idle partition wakes up with older events', () => {
      const { w, batch, probe } = setup();
      batch(0, 1_000, [0, 61_000, 120_000, 130_000]);
      probe(41_000, 0);
      expect(w.takeClosed().map((c) => c.start)).toEqual([0, 60_000]);
      expect(w.add(log(70_000, {}), 1, 0)).toBe('late');
      batch(1, 42_000, [], true);
      expect(w.watermark).toBe(130_000);
    });

    it('passes transaction markers: a partition whose last records are markers can be idle', () => {
      const { w, batch, probe } = setup(3);
      batch(0, 1_000, [0, 30_000, 61_000]);
      w.markRead(1, 3);
      probe(41_000, 3);
      expect(w.takeClosed().map((c) => c.start)).toEqual([0]);
    });
  });

  describe('a lone event does not move event time', () => {
    it('holds an event stamped ahead of the wall clock until the next event confirms it', () => {
      const w = new Windower(60_000, 0, store);
      w.beginBatch(100_000);
      for (const t of [1_000, 30_000, 59_000]) w.add(log(t, {}), 0, t);
      // Stamped 9 min ahead of the clock when read (within the allowed skew): not trusted alone.
      expect(w.add(log(100_000 + 540_000, {}), 0, 60)).toBe('added');
      expect(w.watermark).toBe(59_000);
      // The stream goes on where it was: the outlier is refuted, nothing becomes late.
      expect(w.add(log(59_500, {}), 0, 61)).toBe('added');
      expect(w.add(log(60_500, {}), 0, 62)).toBe('added');
      expect(w.takeClosed().map((c) => [c.start, c.events])).toEqual([[0, 4]]);
      expect(w.watermark).toBe(60_500);
    });

    it('holds an event more than ten windows (at least an hour) ahead of its partition until the next event confirms it', () => {
      const w = new Windower(60_000, 0, store);
      for (const t of [1_000, 30_000, 59_000]) w.add(log(t, {}), 0, t);
      w.add(log(7_200_000, {}), 0, 60); // two hours ahead of a replayed backlog
      expect(w.watermark).toBe(59_000);
      w.add(log(59_900, {}), 0, 61); // refuted
      expect(w.watermark).toBe(59_900);
      // A real jump (a model back after a pause) is confirmed by the events after it.
      w.add(log(7_200_000, {}), 0, 62);
      w.add(log(7_200_100, {}), 0, 63);
      expect(w.watermark).toBe(7_200_100);
    });

    it('takes a future-stamped time once the wall clock has passed it, on a tick', () => {
      const w = new Windower(60_000, 0, store);
      w.beginBatch(59_000);
      for (const t of [1_000, 30_000, 59_000]) w.add(log(t, {}), 0, t);
      w.add(log(61_000, {}), 0, 61); // 2 s ahead of the clock when read, and the last event
      expect(w.takeClosed()).toHaveLength(0);
      w.tick(61_000);
      expect(w.takeClosed().map((c) => c.start)).toEqual([0]);
    });
  });

  it('waits for the slowest assigned partition before closing a window', () => {
    const w = new Windower(60_000, 0, store);
    w.setPartitions([0, 1]);
    w.add(log(0, {}), 0, 0);
    w.add(log(70_000, {}), 0, 1);
    w.add(log(130_000, {}), 0, 2);
    expect(w.takeClosed()).toHaveLength(0); // partition 1 has said nothing yet
    expect(w.add(log(1_000, {}), 1, 0)).toBe('added');
    w.add(log(61_000, {}), 1, 1);
    expect(w.takeClosed().map((c) => [c.start, c.events])).toEqual([[0, 2]]);
  });

  it('commits up to the first offset still held by an open window, per partition', () => {
    const w = new Windower(60_000, 0, store);
    w.add(log(0, {}), 0, 10);
    w.add(log(60_000, {}), 0, 11);
    w.add(log(1_000, {}), 1, 4);
    w.add(log(60_500, {}), 1, 5);
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

  it('keeps over-long unseen categories under bounded names: distinct values stay distinct, counted', () => {
    const longName = 'L'.repeat(LIMITS.categoryLength + 1);
    const known = fraudBaseline({
      country: {
        kind: 'categorical',
        proportions: { DE: 0.5, [longName]: 0.5 },
        count: 100,
        missing: 0,
      },
    });
    const w = new Windower(60_000, 0, storeOf(known));
    // 300 distinct values of 900 KB each: before, every one was held whole while the window was open.
    const huge = (i: number) => `${i}-${'x'.repeat(900_000)}`;
    for (let i = 0; i < 300; i++) w.add(log(i, { country: huge(i) }), 0, i);
    w.add(log(300, { country: huge(0) }), 0, 300);
    // A baseline category longer than the limit is still counted as itself.
    w.add(log(301, { country: longName }), 0, 301);
    w.add(log(60_000, {}), 0, 999);
    const [window] = w.takeClosed();
    const country = window!.featureAggregates().get('country') as CategoricalAggregate;
    expect(country.unseen.size).toBe(300);
    expect(country.unseenCount).toBe(301);
    for (const name of country.unseen.keys()) {
      expect(name.length).toBeLessThanOrEqual(LIMITS.categoryLength);
    }
    expect(country.counts[country.reference.index.get(longName)!]).toBe(1);
    expect(window!.longCategories).toBe(301);
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
      // The bin arithmetic on four values: no pooling of sparse bins.
      minExpected: { psi: 0, chiSquare: 0 },
    });
    const drift = results.filter((r) => r.kind === 'drift');
    const amount = drift.find((r) => r.feature === 'amount')!;
    // "lots" is of the wrong type: counted apart from the one missing value.
    expect(amount).toMatchObject({
      n: 4,
      missing: 1,
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
    const summary = results.find((r) => r.kind === 'summary' && r.feature === 'amount');
    expect(summary).toMatchObject({ n: 4, missing: 1, wrongType: 1 });
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
