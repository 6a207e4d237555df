import { describe, expect, it } from 'vitest';
import { CloseClock } from '../../src/evaluate/close-clock.js';

describe('close clock (when a window end became closable in a stage-2 batch)', () => {
  it('dates each window end by the first progress record that moved the closable point past it', () => {
    const clock = new CloseClock(60_000, 5_000_000);
    clock.note(60_000, 5_000_100); // no progress past what was closable before the batch
    clock.note(120_000, 5_000_200);
    clock.note(110_000, 5_000_300); // a source behind: the closable point never moves back
    clock.note(240_000, 5_000_400);
    expect(clock.closableSince(120_000)).toBe(5_000_200);
    expect(clock.closableSince(180_000)).toBe(5_000_400);
    expect(clock.closableSince(240_000)).toBe(5_000_400);
  });

  it('falls back to the batch start for ends no progress record passed (idleness ran out)', () => {
    const clock = new CloseClock(-Infinity, 7_000);
    clock.note(60_000, Number.NaN); // a record without a usable timestamp
    expect(clock.closableSince(60_000)).toBe(7_000);
    expect(clock.closableSince(120_000)).toBe(7_000);
  });
});
