import { describe, expect, it } from 'vitest';
import { JoinChanges, LabelJoin } from '../../src/labels/label-join.js';
import type { JoinPrediction } from '../../src/labels/join-records.js';
import { DelayedTallies, delayedPoints } from '../../src/label-join/delayed-tallies.js';
import {
  decodeTally,
  encodeTally,
  qualityKey,
  type PartitionTally,
} from '../../src/label-join/tally-codec.js';

const settings = { horizonMs: 3_600_000, maxPending: 1_000, windowMs: 60_000 };

/** One join partition's tally of window 0 after `n` scored predictions and their labels. */
function tallyOf(j: number, n: number, seed: number): PartitionTally {
  const join = new LabelJoin(settings);
  const c = new JoinChanges();
  for (let i = 0; i < n; i++) {
    const score = ((i * 37 + seed) % 100) / 100 + 0.001;
    const p: JoinPrediction = {
      id: `${j}-${i}`,
      model: 'm',
      modelVersion: '1',
      baselineHash: 'h',
      time: i,
      windowStart: 0,
      windowEnd: 60_000,
      predicted: score,
      score: null,
      positive: undefined,
    };
    join.prediction(p, c);
    if (i % 3 !== 0) join.label(p.id, (i + seed) % 2 === 0, 1_000, c);
  }
  const [tally] = [...join.tallies.values()];
  if (!tally) throw new Error('no tally');
  return { ...tally, joinPartition: j };
}

describe('delayed-quality tallies', () => {
  it('round-trip through their codec and refuse garbage', () => {
    const t = tallyOf(1, 30, 7);
    const back = decodeTally(encodeTally(t));
    expect(back.predicted).toBe(30);
    expect(back.quality.classification?.metrics()).toEqual(t.quality.classification?.metrics());
    expect(encodeTally(back)).toEqual(encodeTally(t));
    expect(() => decodeTally(Buffer.from([9, 1, 2]))).toThrow();
    expect(() => decodeTally(encodeTally(t).subarray(0, 20))).toThrow();
  });

  it('merge the same whatever order the join partitions arrive in', () => {
    const tallies = [tallyOf(0, 40, 1), tallyOf(1, 25, 2), tallyOf(2, 33, 3)];
    const forward = new Map(tallies.map((t) => [t.joinPartition, t]));
    const backward = new Map([...tallies].reverse().map((t) => [t.joinPartition, t]));
    const a = delayedPoints(forward);
    expect(a).toEqual(delayedPoints(backward));
    const quality = a.find((p) => p.kind === 'model' && p.method === 'quality_delayed');
    expect(quality?.kind === 'model' && quality.floats.label_coverage).toBe(
      (26 + 16 + 22) / (40 + 25 + 33),
    );
  });

  it('carry the same identity (baseline tag) whatever order the join partitions arrive in', () => {
    // A baseline reloaded mid-window: one partition's tally was created under the new hash.
    const tallies = [tallyOf(0, 40, 1), { ...tallyOf(1, 25, 2), baselineHash: 'h2' }];
    const forward = new Map(tallies.map((t) => [t.joinPartition, t]));
    const backward = new Map([...tallies].reverse().map((t) => [t.joinPartition, t]));
    // Else a rewrite lands in another series (tag `baseline`) and the old point stays beside it.
    expect(delayedPoints(backward)).toEqual(delayedPoints(forward));
  });

  it('no labelled prediction: no point', () => {
    const join = new LabelJoin(settings);
    const c = new JoinChanges();
    join.prediction(
      {
        id: 'a',
        model: 'm',
        modelVersion: '1',
        baselineHash: 'h',
        time: 1,
        windowStart: 0,
        windowEnd: 60_000,
        predicted: 'x',
        score: null,
        positive: undefined,
      },
      c,
    );
    const [t] = [...join.tallies.values()];
    expect(delayedPoints(new Map([[0, { ...t!, joinPartition: 0 }]]))).toEqual([]);
  });

  it('the writer never rewrites a window without a join partition that retired it first', () => {
    const writer = new DelayedTallies(86_400_000);
    const labelled = (points: ReturnType<typeof delayedPoints>) =>
      points.find((p) => p.kind === 'model' && p.method === 'quality_delayed');
    const [j0, j1] = [tallyOf(0, 30, 1), tallyOf(1, 24, 2)];
    const window = writer.apply(qualityKey(j0), encodeTally(j0));
    writer.apply(qualityKey(j1), encodeTally(j1));
    const both = labelled(writer.pointsOf(window ?? ''));
    // j0 retires the window (a tombstone from an earlier release), then j1's tally changes.
    expect(writer.apply(qualityKey(j0), null)).toBeUndefined();
    const j1Later = tallyOf(1, 27, 2);
    expect(writer.apply(qualityKey(j1Later), encodeTally(j1Later))).toBe(window);
    const after = labelled(writer.pointsOf(window ?? ''));
    expect(after?.kind === 'model' && after.n).toBe(
      (both?.kind === 'model' ? both.n : 0) + 2, // j1 labelled 2 more of its 27
    );
  });

  it('lets windows go once they are older than the topic keeps, and ignores tallies of them', () => {
    const writer = new DelayedTallies(60_000);
    const old = tallyOf(0, 30, 1);
    writer.apply(qualityKey(old), encodeTally(old));
    const later = { ...tallyOf(0, 30, 1), start: 600_000, end: 660_000 };
    writer.apply(qualityKey(later), encodeTally(later));
    expect(writer.size).toBe(1);
    expect(writer.apply(qualityKey(old), encodeTally(old))).toBeUndefined();
  });
});
