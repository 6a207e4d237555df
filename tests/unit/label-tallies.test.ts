import { describe, expect, it } from 'vitest';
import { JoinChanges, LabelJoin } from '../../src/labels/label-join.js';
import type { JoinPrediction } from '../../src/labels/join-records.js';
import { DelayedTallies, delayedPoints } from '../../src/label-join/delayed-tallies.js';
import {
  clockKey,
  decodeTally,
  encodeTally,
  encodeTime,
  qualityKey,
  settledKey,
  type PartitionTally,
} from '../../src/label-join/tally-codec.js';
import { decodePartialsRecord, encodeSettledQuality } from '../../src/partials/codec.js';
import { delayedQualityPoints } from '../../src/drift/quality-points.js';

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
    const window = writer.apply(0, qualityKey(j0), encodeTally(j0));
    writer.apply(0, qualityKey(j1), encodeTally(j1));
    const both = labelled(writer.pointsOf(window ?? ''));
    // j0 retires the window (a tombstone from an earlier release), then j1's tally changes.
    expect(writer.apply(0, qualityKey(j0), null)).toBeUndefined();
    const j1Later = tallyOf(1, 27, 2);
    expect(writer.apply(0, qualityKey(j1Later), encodeTally(j1Later))).toBe(window);
    const after = labelled(writer.pointsOf(window ?? ''));
    expect(after?.kind === 'model' && after.n).toBe(
      (both?.kind === 'model' ? both.n : 0) + 2, // j1 labelled 2 more of its 27
    );
  });

  it('lets windows go once they are older than the topic keeps, and ignores tallies of them', () => {
    const writer = new DelayedTallies(60_000);
    const old = tallyOf(0, 30, 1);
    writer.apply(0, qualityKey(old), encodeTally(old));
    const later = { ...tallyOf(0, 30, 1), start: 600_000, end: 660_000 };
    writer.apply(0, qualityKey(later), encodeTally(later));
    expect(writer.size).toBe(1);
    expect(writer.apply(0, qualityKey(old), encodeTally(old))).toBeUndefined();
  });
});

describe('settling delayed quality for the alert rules', () => {
  const HORIZON = settings.horizonMs;
  /** Window w's tally (minute w) of join partition j. */
  const tallyAt = (w: number, j: number): PartitionTally => ({
    ...tallyOf(j, 12, w + j),
    start: w * 60_000,
    end: (w + 1) * 60_000,
  });
  const feed = (writer: DelayedTallies, q: number, t: PartitionTally) =>
    writer.apply(q, qualityKey(t), encodeTally(t));
  const clock = (writer: DelayedTallies, q: number, j: number, ms: number) =>
    writer.apply(q, clockKey(j), encodeTime(ms));
  const ends = (s: ReturnType<DelayedTallies['settle']>) =>
    s?.windows.map((w) => w.identity.windowEnd / 60_000);

  it('settles a window once every join partition passed its end + settleAfter, in window order', () => {
    const writer = new DelayedTallies(86_400_000);
    for (const w of [2, 0, 1]) for (const j of [0, 1]) feed(writer, 0, tallyAt(w, j));
    // Only join partition 0 has passed: nothing settles.
    clock(writer, 0, 0, 2 * 60_000 + HORIZON);
    expect(writer.settle(0, 2, HORIZON)).toBeUndefined();
    clock(writer, 0, 1, 2 * 60_000 + HORIZON);
    const first = writer.settle(0, 2, HORIZON);
    expect(ends(first)).toEqual([1, 2]);
    // Merged from both partitions' tallies, the same as the written point.
    const w1 = first?.windows[0];
    expect(w1?.predicted).toBe(24);
    expect(w1?.quality.partitions.size).toBe(2);
    // Until the mark is noted, the same windows are settled again (a failed hand-over retries).
    expect(ends(writer.settle(0, 2, HORIZON))).toEqual([1, 2]);
    writer.noteSettled(0, first?.upTo ?? 0);
    expect(writer.settle(0, 2, HORIZON)).toBeUndefined();
    for (const j of [0, 1]) clock(writer, 0, j, 3 * 60_000 + HORIZON);
    expect(ends(writer.settle(0, 2, HORIZON))).toEqual([3]);
  });

  it('a restore reads the settled mark back: windows handed on before are not handed again', () => {
    const writer = new DelayedTallies(86_400_000);
    feed(writer, 3, tallyAt(0, 0));
    feed(writer, 3, tallyAt(1, 0));
    clock(writer, 3, 0, 60_000 + HORIZON);
    // The mark: every window ending at or before minute 1 was handed on.
    writer.apply(3, settledKey(3), encodeTime(60_000));
    expect(writer.settle(3, 1, HORIZON)).toBeUndefined();
    clock(writer, 3, 0, 2 * 60_000 + HORIZON);
    expect(ends(writer.settle(3, 1, HORIZON))).toEqual([2]);
    // Clocks and marks are per partition of the topic: partition 4 knows no clock yet.
    expect(writer.settle(4, 1, HORIZON)).toBeUndefined();
  });

  it('a shorter settleAfter settles earlier; a clock record is no window', () => {
    const writer = new DelayedTallies(86_400_000);
    feed(writer, 0, tallyAt(0, 0));
    expect(clock(writer, 0, 0, 10 * 60_000)).toBeUndefined();
    // The mark moves (nothing due yet under the horizon), so a later settle starts from it.
    expect(ends(writer.settle(0, 1, HORIZON))).toEqual([]);
    expect(ends(writer.settle(0, 1, 5 * 60_000))).toEqual([1]);
  });

  it('a lowered settleAfter (a restart with a new config) hands on the windows in between', () => {
    const writer = new DelayedTallies(86_400_000);
    for (let w = 0; w < 6; w++) feed(writer, 0, tallyAt(w, 0));
    clock(writer, 0, 0, 3 * 60_000 + HORIZON);
    const first = writer.settle(0, 1, HORIZON);
    expect(ends(first)).toEqual([1, 2, 3]);
    writer.noteSettled(0, first?.upTo ?? 0);
    expect(ends(writer.settle(0, 1, 10 * 60_000))).toEqual([4, 5, 6]);
    // Raised again: nothing is handed on twice.
    expect(writer.settle(0, 1, 2 * HORIZON)).toBeUndefined();
  });

  it('the settled record round-trips through the partials codec', () => {
    const writer = new DelayedTallies(86_400_000);
    for (const j of [0, 1, 2]) feed(writer, 0, tallyAt(4, j));
    for (const j of [0, 1, 2]) clock(writer, 0, j, 5 * 60_000 + HORIZON);
    const [settled] = writer.settle(0, 3, HORIZON)?.windows ?? [];
    if (!settled) throw new Error('nothing settled');
    const decoded = decodePartialsRecord(encodeSettledQuality(settled), () => undefined);
    expect(decoded.kind).toBe('settled');
    if (decoded.kind !== 'settled') return;
    expect(delayedQualityPoints(decoded.quality)).toEqual(delayedQualityPoints(settled));
    expect(delayedQualityPoints(settled)).toEqual(
      writer.pointsOf(JSON.stringify(['m', '1', 4 * 60_000, 5 * 60_000])),
    );
  });
});

describe('the join publishes its clock', () => {
  it('once per base window it passes, at the window boundary', () => {
    const join = new LabelJoin(settings);
    const step = (time: number) => {
      const c = new JoinChanges();
      join.label(`x${time}`, 'a', time, c);
      join.expire(c);
      return c.clockMark;
    };
    expect(step(61_000)).toBe(60_000);
    expect(step(119_000)).toBeUndefined();
    expect(step(185_000)).toBe(180_000);
  });
});
