import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/evaluate/checkpoint.js';
import { PartialsPartition, type PaneViews } from '../../src/evaluate/partials-partition.js';
import { DEFAULT_WINDOW_DRIFT_SETTINGS, evaluateWindow } from '../../src/drift/window-points.js';
import { Window } from '../../src/windows/window.js';
import { amountBaseline } from '../support/baselines.js';
import { feed, MINUTE, paneLog, type PaneEntry } from '../support/pane-log.js';
import { engineOf, rule } from '../support/rules.js';
import { toObservation } from '../../src/alerting/observation.js';

const baseline = amountBaseline();

const none = { closedUpTo: -Infinity, watermarks: new Map<number, number>() };
const views: PaneViews = { count: { baseMs: MINUTE, events: 1_000, maxSpanMs: 4 * MINUTE } };

/** One partial of `source` for minute m holding `values` of amount. */
const partial = (m: number, source: number, values: number[]): PaneEntry => ({
  kind: 'partial',
  window: () => {
    const w = new Window(baseline, 'fraud', '1', m * MINUTE, (m + 1) * MINUTE);
    values.forEach((amount, i) =>
      w.add(
        { model: 'fraud', model_version: '1', timestamp: m * MINUTE, features: { amount } },
        source,
        i,
      ),
    );
    return w;
  },
});
const progress = (minutes: number): PaneEntry => ({
  kind: 'progress',
  records: [0, 1].map((source) => ({
    source,
    watermark: minutes * MINUTE,
    idle: false,
    idleUntil: 0,
  })),
});

/** What the count windows write (every field of every point), fed entries [from, to). */
function written(q: PartialsPartition, log: readonly PaneEntry[], from: number, to: number) {
  const out: unknown[] = [];
  for (let offset = from; offset < to; offset++) {
    const e = log[offset];
    if (!e) break;
    if (e.kind === 'partial') q.addPartial(e.window(), offset);
    else q.progress(e.records);
    for (const w of q.takeClosed(0)) {
      if (w.tag !== undefined) out.push(evaluateWindow(w, DEFAULT_WINDOW_DRIFT_SETTINGS));
    }
  }
  return out;
}

describe('count windows: a restart rebuilds the same aggregates', () => {
  it('a source that wrote a second partial of minute 0 after its partial of minute 1', () => {
    // Source 0 handed over minutes 0 and 1 (an idle handover: Windower.takeAll), then more
    // events of minute 0 came and it wrote a second partial of minute 0. Source 1 was behind,
    // so stage 2 had minute 0 still open and merged both partials of source 0 into that pane.
    let seed = 3;
    const rand = () => ((seed = (seed * 16_807) % 2_147_483_647) / 2_147_483_647) * 30;
    const values = (n: number) => Array.from({ length: n }, rand);
    const [a, b, c] = [values(7), values(5), values(3)];
    const log: PaneEntry[] = [
      partial(0, 0, a),
      partial(1, 0, b),
      partial(0, 0, c),
      partial(0, 1, [2.2, 4.4]),
      partial(1, 1, [6.6]),
      progress(2),
      progress(3),
      progress(4),
      progress(5),
    ];
    const whole = written(new PartialsPartition(0, [0, 1], none, views), log, 0, log.length);
    expect(whole).toHaveLength(1);
    // Killed after both minutes closed, the count window still running.
    const first = new PartialsPartition(0, [0, 1], none, views);
    const before = written(first, log, 0, 6);
    const { offset, checkpoint } = first.checkpoint(6);
    const restored = decodeCheckpoint(encodeCheckpoint(checkpoint));
    const after = written(
      new PartialsPartition(0, [0, 1], restored, views),
      log,
      offset,
      log.length,
    );
    expect([...before, ...after]).toEqual(whole);
  });
});

describe('count windows and stale_after', () => {
  it('a rule with stale_after and the default window `*` does not call a served model stale between its count windows', () => {
    // 2 events a minute: every base window is there, a count window closes at its 1h cap.
    const log = paneLog(130, { rare: (m, source) => (source === 0 ? 2 : 0) });
    const q = new PartialsPartition(0, [0, 1], none, {
      count: { baseMs: MINUTE, events: 1_000, maxSpanMs: 60 * MINUTE },
    });
    const engine = engineOf([
      rule({
        name: 'rare-volume',
        match: { model: 'rare' },
        when: 'events > 1000000',
        stale_after: '10m',
      }),
    ]);
    const stale: string[] = [];
    feed(q, log, 0, log.length, (closed) => {
      const observations = closed
        .flatMap((w) => evaluateWindow(w, DEFAULT_WINDOW_DRIFT_SETTINGS))
        .map(toObservation);
      for (const t of engine.evaluate(observations).transitions) {
        stale.push(`${t.rule} ${t.window} ${t.to} at minute ${t.time / MINUTE}`);
      }
    });
    expect(stale).toEqual([]);
  });
});

describe('count windows of a superseded version', () => {
  it('a version rolled out of service raises no alert at its last count window, closed at its cap', () => {
    // Version 1 serves minutes 0–9, version 2 from minute 8 on; 2 events per minute each.
    const log: PaneEntry[] = [];
    for (let m = 0; m < 130; m++) {
      for (const version of ['1', '2']) {
        if (version === '1' ? m >= 10 : m < 8) continue;
        log.push({
          kind: 'partial',
          window: () => {
            const w = new Window(baseline, 'fraud', version, m * MINUTE, (m + 1) * MINUTE);
            for (const amount of [m % 30, (m * 7) % 30]) {
              w.add(
                {
                  model: 'fraud',
                  model_version: version,
                  timestamp: m * MINUTE,
                  features: { amount },
                },
                0,
                m,
              );
            }
            return w;
          },
        });
      }
      log.push(progress(m + 1));
    }
    const q = new PartialsPartition(0, [0, 1], none, {
      count: { baseMs: MINUTE, events: 1_000, maxSpanMs: 60 * MINUTE },
    });
    const engine = engineOf([
      rule({
        name: 'fraud-volume',
        match: { model: 'fraud' },
        when: 'events < 10',
        stale_after: '30m',
      }),
    ]);
    const ofVersion1: string[] = [];
    feed(q, log, 0, log.length, (closed) => {
      const observations = closed
        .flatMap((w) => evaluateWindow(w, DEFAULT_WINDOW_DRIFT_SETTINGS))
        .map(toObservation);
      for (const t of engine.evaluate(observations).transitions) {
        if (t.modelVersion === '1')
          ofVersion1.push(`${t.rule} ${t.window} ${t.to} at minute ${t.time / MINUTE}`);
      }
    });
    // Superseded (supersede_after: 2 windows) a few minutes after its last window, minute 10.
    const afterSupersession = ofVersion1.filter((t) => Number(t.split(' ').at(-1)) > 15);
    expect(afterSupersession).toEqual([]);
  });
});
