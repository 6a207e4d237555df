import { describe, expect, it } from 'vitest';
import { OVERFLOW_CATEGORY, type CategoricalAggregate } from '../../detectors/index.js';
import { DriftwatchError } from '../../src/errors.js';
import { Window } from '../../src/windows/window.js';
import { fraudBaseline } from '../support/baselines.js';
import {
  emptyWindow,
  eventsPerSource,
  partialsBaseline,
  WINDOW_END,
  windowOfAll,
  windowsPerSource,
} from '../support/partial-events.js';
import { differences, evaluateAllMethods, keyOf } from '../support/window-points.js';

function mergedInOrder(parts: readonly Window[]): Window {
  const merged = emptyWindow();
  for (const part of parts) merged.merge(part);
  return merged;
}

describe('Window.merge', () => {
  const events = eventsPerSource(1);
  const whole = windowOfAll(events);
  const expected = evaluateAllMethods(whole);

  it('gives, merged in ascending source order, the points of one window that saw every event', () => {
    const merged = mergedInOrder(windowsPerSource(events));
    expect(merged.events).toBe(whole.events);
    expect(merged.longCategories).toBe(whole.longCategories);
    expect(merged.longCategories).toBeGreaterThan(0);
    expect(differences(expected, evaluateAllMethods(merged))).toEqual([]);
  });

  it('covers what the aggregates keep apart (ties, beyond the sample, non-finite, overflow)', () => {
    const summary = (feature: string) => expected.find((p) => keyOf(p) === `${feature}/summary`);
    expect(summary('amount')?.missing).toBeGreaterThan(0);
    const wasserstein = expected.find((p) => keyOf(p) === 'amount/wasserstein');
    expect(wasserstein?.kind === 'drift' && wasserstein.status).toBe('ok');
    const country = whole.featureAggregates().get('country') as CategoricalAggregate;
    expect(country.unseen.has(OVERFLOW_CATEGORY)).toBe(true);
    const device = whole.featureAggregates().get('device') as CategoricalAggregate;
    expect([...device.unseen.keys()].sort()).toEqual(['7', 'tablet', 'tv']);
  });

  it('keeps its own firstOffsets: they are the input partitions’ bookkeeping', () => {
    const parts = windowsPerSource(events);
    const merged = mergedInOrder(parts);
    expect(merged.firstOffsets.size).toBe(0);
    const first = parts[0] as Window;
    first.merge(parts[1] as Window);
    expect([...first.firstOffsets]).toEqual([[0, 0]]);
  });

  it.each([
    [
      'another Baseline object, even with the same hash',
      () => new Window(fraudBaseline({}), 'fraud', '3', 0, WINDOW_END),
    ],
    ['another model', () => new Window(partialsBaseline, 'other', '3', 0, WINDOW_END)],
    ['another model version', () => new Window(partialsBaseline, 'fraud', '4', 0, WINDOW_END)],
    ['another start', () => new Window(partialsBaseline, 'fraud', '3', 1, WINDOW_END)],
    ['another end', () => new Window(partialsBaseline, 'fraud', '3', 0, 2 * WINDOW_END)],
  ])('refuses a window with %s (WINDOW_MERGE_MISMATCH), changing nothing', (_, other) => {
    const target = windowsPerSource(events)[0] as Window;
    const before = evaluateAllMethods(target);
    let error: unknown;
    try {
      target.merge(other());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DriftwatchError);
    expect((error as DriftwatchError).code).toBe('WINDOW_MERGE_MISMATCH');
    expect(differences(before, evaluateAllMethods(target))).toEqual([]);
  });
});
