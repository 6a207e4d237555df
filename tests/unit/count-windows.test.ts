import { describe, expect, it } from 'vitest';
import {
  decodeCheckpoint,
  encodeCheckpoint,
  encodeCheckpointReport,
} from '../../src/evaluate/checkpoint.js';
import { countWindowId } from '../../src/evaluate/count-windows.js';
import { EvaluateStage } from '../../src/evaluate/evaluate-stage.js';
import { DaemonMetrics } from '../../src/metrics.js';
import { PartialsPartition, type PaneViews } from '../../src/evaluate/partials-partition.js';
import {
  DEFAULT_WINDOW_DRIFT_SETTINGS,
  evaluateWindow,
  windowTagOf,
} from '../../src/drift/window-points.js';
import { toPoint } from '../support/to-point.js';
import { toObservation } from '../../src/alerting/observation.js';
import { observationFromRow } from '../../src/tools/backtest-source.js';
import { Window } from '../../src/windows/window.js';
import { engineOf, rule } from '../support/rules.js';
import { amountBaseline } from '../support/baselines.js';
import { feed, MINUTE, paneLog, type PaneEntry, type Traffic } from '../support/pane-log.js';

const none = { closedUpTo: -Infinity, watermarks: new Map<number, number>() };
const count = (events: number, maxSpanMs = 60 * MINUTE): PaneViews => ({
  count: { baseMs: MINUTE, events, maxSpanMs },
});

type Closed = [model: string, tag: string, start: number, end: number, events: number];

/** Runs entries [from, to) through q, collecting what closes. */
function run(q: PartialsPartition, log: readonly PaneEntry[], from: number, to: number): Closed[] {
  const out: Closed[] = [];
  feed(q, log, from, to, (closed) => {
    for (const w of closed) {
      out.push([w.model, w.tag ?? `${(w.end - w.start) / MINUTE}m`, w.start, w.end, w.events]);
    }
  });
  return out;
}

const countWindows = (out: readonly Closed[]) => out.filter(([, tag]) => tag.startsWith('count:'));

/** A run killed after `crashAt` entries and resumed from its committed checkpoint. */
function withCrash(log: readonly PaneEntry[], views: PaneViews, crashAt: number): Closed[] {
  const first = new PartialsPartition(0, [0, 1], none, views);
  const before = run(first, log, 0, crashAt);
  const { offset, checkpoint } = first.checkpoint(crashAt);
  const restored = decodeCheckpoint(encodeCheckpoint(checkpoint));
  const after = run(new PartialsPartition(0, [0, 1], restored, views), log, offset, log.length);
  return [...before, ...after];
}

// Minute m: m + 1 events from source 0 and 2m from source 1.
const rising: Traffic = (m, source) => (source === 0 ? m + 1 : 2 * m);

describe('count windows (stage 2)', () => {
  it('merges whole base windows until N events, then closes with its real span', () => {
    const log = paneLog(6, { fraud: rising });
    const out = run(new PartialsPartition(0, [0, 1], none, count(10)), log, 0, log.length);
    // Minutes hold 1, 4, 7, 10, 13, 16 events.
    expect(countWindows(out)).toEqual([
      ['fraud', 'count:10', 0, 3 * MINUTE, 12],
      ['fraud', 'count:10', 3 * MINUTE, 4 * MINUTE, 10],
      ['fraud', 'count:10', 4 * MINUTE, 5 * MINUTE, 13],
      ['fraud', 'count:10', 5 * MINUTE, 6 * MINUTE, 16],
    ]);
    // The base windows are emitted as before.
    expect(out.filter(([, tag]) => tag === '1m')).toHaveLength(6);
  });

  it('closes a window short of N at its maxSpan, even when the model went quiet', () => {
    // Events only in minutes 0, 1 and 5; the clock moves on to minute 12.
    const sparse: Traffic = (m, source) => (source === 0 && [0, 1, 5].includes(m) ? 2 : 0);
    const log = paneLog(12, { rare: sparse });
    const q = new PartialsPartition(0, [0, 1], none, count(100, 3 * MINUTE));
    const out = run(q, log, 0, log.length);
    expect(countWindows(out)).toEqual([
      ['rare', 'count:100', 0, 3 * MINUTE, 4],
      ['rare', 'count:100', 5 * MINUTE, 8 * MINUTE, 2],
    ]);
    expect(q.openCountWindows).toBe(0);
  });

  it('a maxSpan that is no multiple of the base window ends at the next base window end', () => {
    const log = paneLog(5, { fraud: (m, s) => (s === 0 ? 1 : 0) });
    const out = run(
      new PartialsPartition(0, [0, 1], none, count(100, 1.5 * MINUTE)),
      log,
      0,
      log.length,
    );
    expect(countWindows(out).map(([, , s, e, n]) => [s, e, n])).toEqual([
      [0, 2 * MINUTE, 2],
      [2 * MINUTE, 4 * MINUTE, 2],
    ]);
  });

  it('keeps one running window per model version: several models, each its own N', () => {
    const log = paneLog(8, { busy: (m) => 6 + m, quiet: (m, s) => (s === 1 && m % 2 ? 1 : 0) });
    const out = countWindows(
      run(new PartialsPartition(0, [0, 1], none, count(4, 4 * MINUTE)), log, 0, log.length),
    );
    // busy: every minute reaches 4 on its own; quiet: 1 event every other minute, capped at 4 min.
    expect(out.filter(([m]) => m === 'busy')).toHaveLength(8);
    expect(out.filter(([m]) => m === 'busy').every(([, , s, e]) => e - s === MINUTE)).toBe(true);
    expect(out.filter(([m]) => m === 'quiet')).toEqual([
      ['quiet', 'count:4', 1 * MINUTE, 5 * MINUTE, 2],
    ]);
    // Every busy event is in exactly one count window.
    const busy = out.filter(([m]) => m === 'busy').reduce((a, [, , , , n]) => a + n, 0);
    expect(busy).toBe(2 * (8 * 6 + 28));
  });

  it('after a kill at any point, a restart from the checkpoint emits what an uninterrupted run does', () => {
    const models = {
      busy: rising,
      quiet: (m: number, s: number) => (s === m % 2 && m % 3 !== 2 ? 1 : 0),
    };
    const log = paneLog(14, models);
    // With hopping views too: both read the same re-read partials, neither may change the other's.
    const withHopping: PaneViews = {
      ...count(9, 5 * MINUTE),
      hopping: { baseMs: MINUTE, sizesMs: [3 * MINUTE] },
    };
    for (const views of [count(9, 5 * MINUTE), count(3, 2 * MINUTE), withHopping]) {
      const whole = run(new PartialsPartition(0, [0, 1], none, views), log, 0, log.length);
      expect(countWindows(whole).length).toBeGreaterThan(4);
      for (let crashAt = 1; crashAt < log.length; crashAt++) {
        expect(withCrash(log, views, crashAt), `crash at ${crashAt}`).toEqual(whole);
      }
    }
  });

  it('a straggler of a pane inside the running window counts in it, the same after a restart', () => {
    const log = paneLog(8, { fraud: (m, s) => (s === 0 ? 2 : 0) });
    // After minute 2 closed, a second partial of minute 1 arrives (source 1, 2 events).
    const straggler = paneLog(2, { fraud: () => 2 }).find((e, i) => e.kind === 'partial' && i > 3);
    if (!straggler) throw new Error('a partial of minute 1');
    const at = log.findIndex((e, i) => e.kind === 'progress' && i > 4) + 1;
    log.splice(at, 0, straggler);
    const views = count(100, 4 * MINUTE);
    const whole = run(new PartialsPartition(0, [0, 1], none, views), log, 0, log.length);
    expect(countWindows(whole)[0]).toEqual(['fraud', 'count:100', 0, 4 * MINUTE, 10]);
    for (let crashAt = 1; crashAt < log.length; crashAt++) {
      expect(withCrash(log, views, crashAt), `crash at ${crashAt}`).toEqual(whole);
    }
  });

  it('commits its offset back at the running window’s first partial, its start in the metadata', () => {
    const log = paneLog(3, { fraud: () => 1 });
    const q = new PartialsPartition(0, [0, 1], none, count(100));
    run(q, log, 0, log.length);
    const { offset, checkpoint } = q.checkpoint(log.length);
    expect(offset).toBe(0);
    expect(checkpoint.countStarts).toEqual(new Map([[countWindowId('fraud', '1'), 0]]));
    expect(decodeCheckpoint(encodeCheckpoint(checkpoint)).countStarts).toEqual(
      checkpoint.countStarts,
    );
  });

  it('leaves out the count starts that do not fit the metadata, oldest kept, and says how many', () => {
    const starts = new Map<string, number>();
    for (let i = 0; i < 400; i++) starts.set(countWindowId(`m${i}`, '1'), 1_800_000_000_000 + i);
    const encoded = encodeCheckpointReport({
      closedUpTo: 5,
      watermarks: new Map(),
      countStarts: starts,
    });
    expect(encoded.metadata.length).toBeLessThanOrEqual(4_000);
    expect(encoded.countStartsLeftOut).toBeGreaterThan(0);
    const kept = decodeCheckpoint(encoded.metadata).countStarts ?? new Map<string, number>();
    expect(kept.size).toBe(400 - encoded.countStartsLeftOut);
    expect(kept.size).toBeGreaterThan(150);
    expect(Math.max(...kept.values())).toBe(1_800_000_000_000 + kept.size - 1);
  });

  it('writes its points with the window tag count:<N>, which rules read the same way', () => {
    const log = paneLog(3, { fraud: rising });
    const closed: Window[] = [];
    const q = new PartialsPartition(0, [0, 1], none, count(10));
    for (const [i, e] of log.entries()) {
      if (e.kind === 'partial') q.addPartial(e.window(), i);
      else q.progress(e.records);
      closed.push(...q.takeClosed(0));
    }
    const cw = closed.find((w) => w.tag !== undefined);
    if (!cw) throw new Error('a count window');
    const points = evaluateWindow(cw, DEFAULT_WINDOW_DRIFT_SETTINGS);
    expect(points.length).toBeGreaterThan(2);
    for (const p of points) {
      expect(windowTagOf(p)).toBe('count:10');
      expect(toPoint(p, 'drift').toLineProtocol()).toContain('window=count:10');
      expect(toObservation(p).window).toBe('count:10');
      expect(toPoint(p, 'drift').toLineProtocol()).toContain(`window_start=${cw.start}i`);
    }
    // The backtest reads the span back from the stored point.
    const summary = points.find((p) => p.kind === 'summary');
    expect(
      observationFromRow({
        model: 'fraud',
        model_version: '1',
        feature: summary?.feature,
        method: 'summary',
        window: 'count:10',
        baseline: cw.baseline.hash,
        _time: new Date(cw.end).toISOString(),
        window_start: cw.start,
        n: summary?.n,
        missing: summary?.missing,
      }),
    ).toMatchObject({ window: 'count:10', windowStart: cw.start, windowEnd: cw.end });
    const base = closed.find((w) => w.tag === undefined);
    if (!base) throw new Error('a base window');
    expect(
      evaluateWindow(base, DEFAULT_WINDOW_DRIFT_SETTINGS).every((p) => windowTagOf(p) === '1m'),
    ).toBe(true);
  });

  it('alert rules read count windows as their own series (match.window), also those closed at their cap alone', () => {
    const sparse: Traffic = (m, source) => (source === 0 && [0, 1, 5].includes(m) ? 2 : 0);
    const log = paneLog(12, { rare: sparse });
    const q = new PartialsPartition(0, [0, 1], none, count(100, 3 * MINUTE));
    const engine = engineOf([
      rule({
        name: 'short-count',
        match: { model: 'rare', window: 'count:*' },
        when: 'events < 10',
      }),
    ]);
    const transitions: [string, string, number][] = [];
    feed(q, log, 0, log.length, (closed) => {
      const observations = closed
        .flatMap((w) => evaluateWindow(w, DEFAULT_WINDOW_DRIFT_SETTINGS))
        .map(toObservation);
      for (const t of engine.evaluate(observations).transitions) {
        transitions.push([t.window, t.to, (t.time - 0) / MINUTE]);
      }
    });
    // The base windows (2 events each) never match; both count windows (closed at their cap,
    // where the model had no base window) are evaluated.
    expect(transitions.filter(([w]) => w !== 'count:100')).toEqual([]);
    expect(transitions.map(([, to, at]) => [to, at])).toContainEqual(['firing', 3]);
    expect(transitions.length).toBeGreaterThan(0);
  });

  it('a baseline replaced mid-window closes the running window at its last pane', () => {
    const q = new PartialsPartition(0, [0, 1], none, count(100));
    const [before, after] = [amountBaseline(), amountBaseline()];
    const closed: Window[] = [];
    [before, before, after].forEach((b, m) => {
      const pane = new Window(b, 'fraud', '1', m * MINUTE, (m + 1) * MINUTE);
      pane.add(
        { model: 'fraud', model_version: '1', timestamp: m * MINUTE, features: { amount: m } },
        0,
        m,
      );
      q.addPartial(pane, m);
      q.progress(
        [0, 1].map((source) => ({
          source,
          watermark: (m + 1) * MINUTE,
          idle: false,
          idleUntil: 0,
        })),
      );
      closed.push(...q.takeClosed(0));
    });
    expect(closed.filter((w) => w.tag).map((w) => [w.start, w.end, w.events])).toEqual([
      [0, 2 * MINUTE, 2],
    ]);
    expect(q.openCountWindows).toBe(1);
  });

  it('a partial read again past a restored window’s cap is no part of it (and never throws)', () => {
    const restored = {
      closedUpTo: 10 * MINUTE,
      watermarks: new Map<number, number>(),
      countStarts: new Map([[countWindowId('fraud', '1'), 0]]),
    };
    const q = new PartialsPartition(0, [0, 1], restored, count(100, 3 * MINUTE));
    const log = paneLog(6, { fraud: () => 1 });
    const late = log.filter((e) => e.kind === 'partial')[8];
    if (late?.kind !== 'partial') throw new Error('a partial of minute 4');
    expect(q.addPartial(late.window(), 0)).toBe('late');
    expect(q.openCountWindows).toBe(0);
  });

  it('running count windows count in driftwatch_open_windows, beside stage 1’s open windows', async () => {
    const metrics = new DaemonMetrics(false);
    const openWindows = async () =>
      (await metrics.registry.getSingleMetric('driftwatch_open_windows')?.get())?.values[0]?.value;
    const stage = new EvaluateStage({
      baselines: {} as never,
      emitter: {} as never,
      metrics,
      logger: {} as never,
      inputPartitions: () => [0, 1],
      readInputEnds: () => Promise.resolve(new Map()),
      readStarts: () => Promise.resolve(new Map()),
      seek: () => undefined,
      count: { baseMs: MINUTE, events: 100, maxSpanMs: 60 * MINUTE },
      isStopping: () => false,
    });
    stage.onGroupJoin([0, 1]);
    await stage.restore();
    // The partitions' state as the stage's batches feed it (the stage's own; private).
    const states = (stage as unknown as { partitions: Map<number, { state: PartialsPartition }> })
      .partitions;
    const feedAll = (q: number, models: Record<string, Traffic>) => {
      const log = paneLog(3, models);
      const state = states.get(q)?.state;
      if (state) feed(state, log, 0, log.length, () => undefined);
    };
    feedAll(0, { fraud: rising, churn: rising });
    feedAll(1, { spam: rising });
    metrics.ingestOpenWindows = 4;
    expect(stage.openCountWindows).toBe(3);
    expect(await openWindows()).toBe(4 + 3);
    // A rebalance that takes the partitions away takes their count windows out of the gauge.
    stage.onGroupJoin([]);
    await stage.restore();
    expect(await openWindows()).toBe(4);
  });
});
