import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/evaluate/checkpoint.js';
import { PartialsPartition } from '../../src/evaluate/partials-partition.js';
import { feed, MINUTE, paneLog, type PaneEntry } from '../support/pane-log.js';

const HOPPING = { baseMs: MINUTE, sizesMs: [3 * MINUTE] };
const none = { closedUpTo: -Infinity, watermarks: new Map<number, number>() };

/** The partials log: per minute m, a partial of each of two sources (m + 1 and 2m values), then progress. */
const partialsLog = (minutes: number) =>
  paneLog(
    minutes,
    { fraud: (m, s) => (s === 0 ? m + 1 : 2 * m) },
    { version: '3', emptyPartials: true },
  );

/** Runs entries [from, to) through q, collecting what closes as [start, end, events]. */
function run(q: PartialsPartition, log: readonly PaneEntry[], from: number, to: number) {
  const out: [number, number, number][] = [];
  feed(q, log, from, to, (closed) => {
    for (const w of closed) out.push([w.start, w.end, w.events]);
  });
  return out;
}

const eventsOfMinute = (m: number) => m + 1 + 2 * m;

describe('hopping windows from panes (stage 2)', () => {
  it('emits at every base window end a view of the last panes, besides the pane itself', () => {
    const log = partialsLog(5);
    const out = run(
      new PartialsPartition(0, [0, 1], none, { hopping: HOPPING }),
      log,
      0,
      log.length,
    );
    const views = out.filter(([s, e]) => e - s === 3 * MINUTE);
    expect(views).toEqual(
      [0, 1, 2, 3, 4].map((m) => [
        (m - 2) * MINUTE,
        (m + 1) * MINUTE,
        [m - 2, m - 1, m].filter((k) => k >= 0).reduce((a, k) => a + eventsOfMinute(k), 0),
      ]),
    );
    expect(out.filter(([s, e]) => e - s === MINUTE)).toHaveLength(5);
  });

  it('after a restart from its checkpoint, rebuilds the panes it still needs: the same views', () => {
    const log = partialsLog(6);
    const whole = run(
      new PartialsPartition(0, [0, 1], none, { hopping: HOPPING }),
      log,
      0,
      log.length,
    );
    // Crash after minute 3 closed: resume from the committed offset with the committed checkpoint.
    const first = new PartialsPartition(0, [0, 1], none, { hopping: HOPPING });
    const crashAt = 12; // 4 minutes × 3 entries
    const before = run(first, log, 0, crashAt);
    const { offset, checkpoint } = first.checkpoint(crashAt);
    expect(offset).toBeLessThan(crashAt);
    const restored = decodeCheckpoint(encodeCheckpoint(checkpoint));
    const after = run(
      new PartialsPartition(0, [0, 1], restored, { hopping: HOPPING }),
      log,
      offset,
      log.length,
    );
    expect([...before, ...after]).toEqual(whole);
  });

  it('a late partial of a retained pane counts in the views to come, the same after a restart', () => {
    const log = partialsLog(6);
    // After minute 2 closed, a straggler of minute 1 (source 0) arrives: late for the pane's
    // own point, but the views ending at minutes 3 and 4 still cover minute 1.
    const straggler = partialsLog(2)[3];
    if (straggler?.kind !== 'partial') throw new Error('minute 1, source 0');
    log.splice(9, 0, straggler);
    const q = new PartialsPartition(0, [0, 1], none, { hopping: HOPPING });
    const whole = run(q, log, 0, log.length);
    const plain = run(
      new PartialsPartition(0, [0, 1], none, { hopping: HOPPING }),
      partialsLog(6),
      0,
      18,
    );
    // The view ending at minute 4 (minutes 1–3) holds the straggler's 2 events more than without it.
    const view = (out: typeof whole, end: number) =>
      out.find(([s, e]) => e === end && e - s === 3 * MINUTE)?.[2] ?? 0;
    expect(view(whole, 3 * MINUTE)).toBe(view(plain, 3 * MINUTE));
    expect(view(whole, 4 * MINUTE) - view(plain, 4 * MINUTE)).toBe(2);
    const first = new PartialsPartition(0, [0, 1], none, { hopping: HOPPING });
    const crashAt = 13;
    const before = run(first, log, 0, crashAt);
    const { offset, checkpoint } = first.checkpoint(crashAt);
    const restored = decodeCheckpoint(encodeCheckpoint(checkpoint));
    const again = new PartialsPartition(0, [0, 1], restored, { hopping: HOPPING });
    const after = run(again, log, offset, log.length);
    expect([...before, ...after]).toEqual(whole);
  });

  it('without hopping sizes a closed window met again is late, as before', () => {
    const q = new PartialsPartition(0, [0, 1], none);
    const log = partialsLog(2);
    run(q, log, 0, log.length);
    const entry = log[0];
    if (entry?.kind !== 'partial') throw new Error('a partial first');
    expect(q.addPartial(entry.window(), 0)).toBe('late');
  });
});
