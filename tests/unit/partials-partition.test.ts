import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/evaluate/checkpoint.js';
import { PartialsPartition } from '../../src/evaluate/partials-partition.js';
import type { PredictionLog } from '../../src/prediction-log/prediction-log.js';
import { DEFAULT_WINDOW_DRIFT_SETTINGS, evaluateWindow } from '../../src/drift/window-points.js';
import { Window } from '../../src/windows/window.js';
import { amountBaseline, fraudBaseline } from '../support/baselines.js';

const baseline = amountBaseline();
const MINUTE = 60_000;

function log(amount: number): PredictionLog {
  return { model: 'fraud', model_version: '3', timestamp: 0, features: { amount } };
}

/** One input partition's partial of the window [start, start + 1 min). */
function partial(source: number, values: number[], start = 0): Window {
  const w = new Window(baseline, 'fraud', '3', start, start + MINUTE);
  values.forEach((v, i) => w.add(log(v), source, i));
  return w;
}

const none = { closedUpTo: -Infinity, watermarks: new Map<number, number>() };
const progress = (
  source: number,
  watermark: number,
  idle = false,
  idleUntil = 0,
  idleEnd?: number,
) => ({ source, watermark, idle, idleUntil, ...(idleEnd === undefined ? {} : { idleEnd }) });

describe('stage 2: one partials partition', () => {
  it('closes a window only once every input partition passed its end', () => {
    const q = new PartialsPartition(0, [0, 1, 2], none);
    q.addPartial(partial(0, [1, 2]), 10);
    q.addPartial(partial(1, [15]), 11);
    q.progress([progress(0, MINUTE), progress(1, MINUTE)]);
    expect(q.takeClosed(0)).toEqual([]);
    q.progress([progress(2, 2 * MINUTE)]);
    const [closed] = q.takeClosed(0);
    expect(closed?.events).toBe(3);
    expect(q.closedUpTo).toBe(MINUTE);
  });

  it('does not wait for an idle input partition while its claim holds, and never moves back', () => {
    const q = new PartialsPartition(0, [0, 1], none);
    q.addPartial(partial(0, [1]), 0);
    q.progress([progress(0, MINUTE), progress(1, -Infinity, true, 5_000)]);
    // The claim ran out (its lag probe is too old): the window waits.
    expect(q.takeClosed(6_000)).toEqual([]);
    expect(q.takeClosed(4_000)).toHaveLength(1);
    q.progress([progress(1, 0)]);
    q.takeClosed(4_000);
    expect(q.closedUpTo).toBe(MINUTE);
    // A partial for a window already closed is late.
    expect(q.addPartial(partial(1, [3]), 5)).toBe('late');
  });

  it('closes on an idle claim only while the input log has not grown past it', () => {
    const q = new PartialsPartition(0, [0, 1, 2], none);
    q.addPartial(partial(0, [1]), 0);
    // Source 1 claimed idle at log end 40; source 2 at 7 (and nothing holds back otherwise).
    q.progress([
      progress(0, MINUTE),
      progress(1, 0, true, 5_000, 40),
      progress(2, 0, true, 5_000, 7),
    ]);
    expect(q.claimsToCheck(1_000)).toEqual(
      new Map([
        [1, 40],
        [2, 7],
      ]),
    );
    // Source 1's log grew to 41 since its claim: its claimant read (or will read) more, and
    // its partial of this window may still come. The window waits for source 1.
    expect(
      q.checkClaims(
        q.claimsToCheck(1_000),
        new Map([
          [0, 99],
          [1, 41],
          [2, 7],
        ]),
      ),
    ).toBe(1);
    expect(q.takeClosed(1_000)).toEqual([]);
    expect(q.addPartial(partial(1, [2]), 1)).toBe('merged');
    q.progress([progress(1, MINUTE)]);
    expect(q.claimsToCheck(1_000)).toEqual(new Map([[2, 7]]));
    expect(q.checkClaims(q.claimsToCheck(1_000), new Map([[2, 7]]))).toBe(0);
    expect(q.takeClosed(1_000)[0]?.events).toBe(2);
  });

  it('does not close on idle claims when the log ends cannot be read', () => {
    const q = new PartialsPartition(0, [0, 1], none);
    q.addPartial(partial(0, [1]), 0);
    q.progress([progress(0, MINUTE), progress(1, 0, true, 5_000, 3)]);
    expect(q.checkClaims(q.claimsToCheck(1_000), undefined)).toBe(1);
    expect(q.takeClosed(1_000)).toEqual([]);
    // A renewed claim is checked afresh.
    q.progress([progress(1, 0, true, 9_000, 3)]);
    expect(q.checkClaims(q.claimsToCheck(1_000), new Map([[1, 3]]))).toBe(0);
    expect(q.takeClosed(1_000)).toHaveLength(1);
  });

  it('asks for no check when the claims would close nothing further', () => {
    const q = new PartialsPartition(0, [0, 1], none);
    q.progress([progress(0, -Infinity), progress(1, MINUTE, true, 5_000, 3)]);
    expect(q.claimsToCheck(1_000).size).toBe(0);
    // A claim without an end offset (an older writer) is trusted until it runs out.
    q.progress([progress(0, MINUTE), progress(1, 0, true, 5_000)]);
    expect(q.claimsToCheck(1_000).size).toBe(0);
    expect(q.closableUpTo(1_000)).toBe(MINUTE);
  });

  it('merges partials in any arrival order into the same results as one window of all events', () => {
    const values = [
      [1.5, 12.25, 30, 7],
      [11, 11, 0.1, 19.75, 25],
      [2, 13],
    ];
    const direct = new Window(baseline, 'fraud', '3', 0, MINUTE);
    // One daemon reading the partitions interleaved.
    for (let i = 0; i < 5; i++) {
      values.forEach((vs, source) => {
        const v = vs[i];
        if (v !== undefined) direct.add(log(v), source, i);
      });
    }
    const settings = { ...DEFAULT_WINDOW_DRIFT_SETTINGS, minSamples: 1 };
    const expected = evaluateWindow(direct, settings);
    for (const order of [
      [0, 1, 2],
      [2, 1, 0],
      [1, 2, 0],
    ]) {
      const q = new PartialsPartition(0, [0, 1, 2], none);
      for (const source of order) q.addPartial(partial(source, values[source] ?? []), source);
      q.progress([0, 1, 2].map((s) => progress(s, MINUTE)));
      const [closed] = q.takeClosed(0);
      expect(evaluateWindow(closed as Window, settings)).toEqual(expected);
    }
  });

  it('leaves out a partial built against another baseline than the window (the first decides)', () => {
    const other = fraudBaseline(
      { amount: { kind: 'numeric', cuts: [5], proportions: [0.5, 0.5], count: 10, missing: 0 } },
      'fedcba9876543210',
    );
    const q = new PartialsPartition(0, [0, 1], none);
    q.addPartial(partial(0, [1]), 0);
    const foreign = new Window(other, 'fraud', '3', 0, MINUTE);
    foreign.add(log(2), 1, 0);
    expect(q.addPartial(foreign, 1)).toBe('baseline-changed');
  });

  it('checkpoints at the first partial of a still-open window, with every source watermark', () => {
    const q = new PartialsPartition(0, [0, 1], none);
    q.addPartial(partial(0, [1]), 7);
    q.addPartial(partial(0, [1], MINUTE), 9);
    q.progress([progress(0, MINUTE), progress(1, MINUTE)]);
    q.takeClosed(0);
    const { offset, checkpoint } = q.checkpoint(12);
    expect(offset).toBe(9);
    const restored = decodeCheckpoint(encodeCheckpoint(checkpoint));
    expect(restored.closedUpTo).toBe(MINUTE);
    expect([...restored.watermarks]).toEqual([
      [0, MINUTE],
      [1, MINUTE],
    ]);
    // A restart from the checkpoint treats the closed window's partials as late.
    const again = new PartialsPartition(0, [0, 1], restored);
    expect(again.addPartial(partial(1, [2]), 12)).toBe('late');
    expect(decodeCheckpoint('something else').closedUpTo).toBe(-Infinity);
  });
});
