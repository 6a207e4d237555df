import { describe, expect, it } from 'vitest';
import { ClassificationQuality } from '../../detectors/index.js';
import { JoinChanges, LabelJoin, tallyKey } from '../../src/labels/label-join.js';
import type { JoinPrediction } from '../../src/labels/join-records.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const settings = { horizonMs: HOUR, maxPending: 3, windowMs: 5 * MIN };

function prediction(id: string, time: number, extra: Partial<JoinPrediction> = {}): JoinPrediction {
  const windowStart = Math.floor(time / settings.windowMs) * settings.windowMs;
  return {
    id,
    model: 'fraud',
    modelVersion: '3',
    baselineHash: 'b1',
    time,
    windowStart,
    windowEnd: windowStart + settings.windowMs,
    predicted: 'yes',
    score: null,
    positive: undefined,
    ...extra,
  };
}

const window0 = tallyKey({ model: 'fraud', modelVersion: '3', start: 0, end: 5 * MIN });

describe('the delayed-label join', () => {
  it('pairs a label with its waiting prediction once, into the window tally, tombstoning both', () => {
    const join = new LabelJoin(settings);
    const c = new JoinChanges();
    join.prediction(prediction('a', 1_000), c);
    join.prediction(prediction('b', 2_000), c);
    expect(c.tallies.get(window0)?.predicted).toBe(2);
    const c2 = new JoinChanges();
    join.label('a', 'yes', 3_000, c2);
    join.label('a', 'no', 3_500, c2);
    expect(c2.counts.matched).toBe(1);
    expect(c2.removed).toEqual(['p|a', 'l|a']);
    const tally = c2.tallies.get(window0);
    expect(tally?.quality.classification?.metrics().n).toBe(1);
    expect(tally?.quality.classification?.metrics().accuracy).toBe(1);
    // The second label for `a` found no prediction: it waits (and will expire), counted nowhere.
    expect(join.labels.size).toBe(1);
  });

  it('a label before its prediction waits for it', () => {
    const join = new LabelJoin(settings);
    const c = new JoinChanges();
    join.label('a', 'no', 1_000, c);
    expect(c.empty).toBe(true);
    join.prediction(prediction('a', 900), c);
    expect(c.counts.matched).toBe(1);
    expect(c.removed).toEqual(['p|a', 'l|a']);
    expect(c.tallies.get(window0)?.quality.classification?.metrics().accuracy).toBe(0);
    expect(join.predictions.size + join.labels.size).toBe(0);
  });

  it('a redelivered prediction counts once', () => {
    const join = new LabelJoin(settings);
    const c = new JoinChanges();
    join.prediction(prediction('a', 1_000), c);
    join.prediction(prediction('a', 1_000), c);
    expect(c.counts.duplicatePredictions).toBe(1);
    expect(c.tallies.get(window0)?.predicted).toBe(1);
  });

  it('expires predictions and labels past the horizon, and retires their window tallies', () => {
    const join = new LabelJoin(settings);
    const c = new JoinChanges();
    join.prediction(prediction('a', 1_000), c);
    join.label('x', 'yes', 2_000, c);
    join.expire(c);
    expect(c.removed).toEqual([]);
    const later = new JoinChanges();
    join.prediction(prediction('b', HOUR + 5 * MIN), later);
    join.expire(later);
    expect(later.counts.expiredPredictions).toBe(1);
    expect(later.counts.expiredLabels).toBe(1);
    expect(later.removed).toEqual(['p|a', 'l|x']);
    expect(later.retired.map((t) => t.start)).toEqual([0]);
    // A prediction older than the horizon on arrival is expired at once, never counted.
    const old = new JoinChanges();
    join.prediction(prediction('c', 2_000), old);
    expect(old.counts.expiredPredictions).toBe(1);
    expect(old.tallies.size).toBe(0);
  });

  it('evicts the oldest at the bound, counted and tombstoned', () => {
    const join = new LabelJoin(settings);
    const c = new JoinChanges();
    for (const id of ['a', 'b', 'c', 'd']) join.prediction(prediction(id, 1_000), c);
    for (const id of ['w', 'x', 'y', 'z']) join.label(id, true, 1_000, c);
    expect(c.counts.evictedPredictions).toBe(1);
    expect(c.counts.evictedLabels).toBe(1);
    expect(c.removed).toEqual(['p|a', 'l|w']);
    expect(join.predictions.size).toBe(3);
    const late = new JoinChanges();
    join.label('a', 'yes', 1_000, late);
    expect(late.counts.matched).toBe(0);
  });

  it('a restored join goes on exactly where the uninterrupted one is', () => {
    const join = new LabelJoin(settings);
    const c = new JoinChanges();
    join.prediction(prediction('a', 1_000, { predicted: 0.7 }), c);
    join.prediction(prediction('b', 2_000, { predicted: 0.2 }), c);
    join.label('b', false, 3_000, c);
    const restored = new LabelJoin(settings);
    for (const t of join.tallies.values()) {
      const classification = t.quality.classification;
      restored.restoreTally({
        ...t,
        quality: {
          ...t.quality,
          classification:
            classification && ClassificationQuality.fromState(classification.toState()),
        },
      });
    }
    restored.restorePrediction(prediction('a', 1_000, { predicted: 0.7 }));
    restored.restoreClock(join.clock);
    for (const j of [join, restored]) {
      const next = new JoinChanges();
      j.label('a', true, 4_000, next);
      expect(next.counts.matched).toBe(1);
      const m = next.tallies.get(window0)?.quality.classification?.metrics();
      expect(m?.n).toBe(2);
      expect(m?.rocAuc).toBe(1);
      expect(next.tallies.get(window0)?.predicted).toBe(2);
    }
  });
});

describe('restoring over a lowered bound', () => {
  it('evicts the oldest and tombstones them with the next step', () => {
    const join = new LabelJoin({ ...settings, maxPending: 2 });
    for (const id of ['a', 'b', 'c']) join.restorePrediction(prediction(id, 1_000));
    const c = new JoinChanges();
    join.expire(c);
    expect(c.removed).toEqual(['p|a']);
    expect(c.counts.evictedPredictions).toBe(1);
  });

  it('evicts the oldest labels too, and tombstones them (else every restart reads them back)', () => {
    const join = new LabelJoin({ ...settings, maxPending: 2 });
    for (const [id, t] of [
      ['x', 1_000],
      ['y', 2_000],
      ['z', 3_000],
    ] as const) {
      join.restoreLabel(id, 'yes', t);
    }
    const c = new JoinChanges();
    join.expire(c);
    expect(c.removed).toEqual(['l|x']);
    expect(c.counts.evictedLabels).toBe(1);
    expect(join.labels.size).toBe(2);
  });
});

describe('a prediction that arrived out of event-time order', () => {
  it('is not matched after its window tally retired (no tally is re-created for a retired window)', () => {
    const join = new LabelJoin({ ...settings, maxPending: 10 });
    const c = new JoinChanges();
    // Another input partition lags: the older prediction arrives after a newer one.
    join.prediction(prediction('new', 30 * MIN), c);
    join.prediction(prediction('old', 1_000), c);
    // Labels move the clock past window 0's end + horizon: window 0's tally retires, while
    // 'old' still waits behind 'new' in arrival order.
    const later = new JoinChanges();
    join.label('other', 'yes', HOUR + 6 * MIN, later);
    join.expire(later);
    expect(later.retired.map((t) => t.start)).toEqual([0]);
    const match = new JoinChanges();
    join.label('old', 'yes', HOUR + 7 * MIN, match);
    join.expire(match);
    // Its wait is over: expired, not measured into a fresh tally of the retired window
    // (which the writer would merge as the window's whole delayed quality, predicted 0).
    expect(match.counts.matched).toBe(0);
    expect(match.counts.expiredPredictions).toBe(1);
    expect(match.tallies.has(window0)).toBe(false);
    expect(join.tallies.has(window0)).toBe(false);
    expect(match.removed).toContain('p|old');
  });
});
