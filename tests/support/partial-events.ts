import { MAX_UNSEEN_CATEGORIES } from '../../detectors/index.js';
import type { Baseline } from '../../src/baseline/baseline.js';
import { LIMITS } from '../../src/prediction-log/limits.js';
import type { PredictionLog } from '../../src/prediction-log/prediction-log.js';
import { Window } from '../../src/windows/window.js';
import { fraudBaseline } from './baselines.js';
import { uniforms, wide } from './dyadic-rng.js';

/**
 * Events split across sources (input partitions) for the scale-out's partials: one window's
 * worth, with every case an aggregate keeps apart.
 */

export const SOURCES = [0, 1, 2, 3, 4, 5];
export const WINDOW_END = 60_000;

const training = (() => {
  const r = uniforms(11);
  // Half on a grid of 0.5 steps (reference ties, window values equal to reference values).
  return Array.from({ length: 600 }, (_, i) =>
    i % 2 === 0 ? Math.round(wide(r) * 2) / 2 : wide(r),
  ).sort((a, b) => a - b);
})();

/** A numeric feature with a reference sample, one binned only, two categorical ones. */
export const partialsBaseline: Baseline = fraudBaseline({
  amount: {
    kind: 'numeric',
    cuts: [-1, 0, 1, 100],
    proportions: [0.2, 0.1, 0.2, 0.2, 0.3],
    count: training.length,
    missing: 0,
    std: 1e5,
    sample: training,
  },
  binned: {
    kind: 'numeric',
    cuts: [0.25, 0.5, 0.75],
    proportions: [0.25, 0.25, 0.25, 0.25],
    count: 1_000,
    missing: 0,
  },
  country: {
    kind: 'categorical',
    proportions: { DE: 0.5, FR: 0.3, IT: 0.2 },
    count: 1_000,
    missing: 0,
  },
  device: {
    kind: 'categorical',
    proportions: { phone: 0.6, desktop: 0.3, true: 0.1 },
    count: 1_000,
    missing: 0,
  },
});

function amount(r: () => number): number | null {
  const u = r();
  if (u < 0.04) return null;
  if (u < 0.06) return NaN;
  if (u < 0.08) return u < 0.07 ? Infinity : -Infinity;
  // Exactly a reference value: counted in the ties cells.
  if (u < 0.3) return training[Math.floor(r() * training.length)] as number;
  // Beyond either end of the reference sample.
  if (u < 0.4) return (u < 0.35 ? -1 : 1) * 1e7 * (1 + r());
  return wide(r);
}

function country(r: () => number, source: number, i: number): string | null {
  const u = r();
  if (u < 0.4) return ['DE', 'FR', 'IT'][Math.floor(r() * 3)] as string;
  if (u < 0.45) return null;
  if (u < 0.5) return `long-${source}-${i % 3}-`.padEnd(LIMITS.categoryLength + 10, 'x');
  return `new-${source}-${i}`;
}

/**
 * Each source's events in offset order. Source 2 alone sees more distinct unseen countries
 * than MAX_UNSEEN_CATEGORIES (its partial holds the overflow bucket); together the sources
 * see more again.
 */
export function eventsPerSource(seed: number): PredictionLog[][] {
  return SOURCES.map((source) => {
    const r = uniforms(seed * 100 + source);
    const n = source === 2 ? 2 * MAX_UNSEEN_CATEGORIES + 200 : 300 + 40 * source;
    return Array.from({ length: n }, (_, i) => ({
      model: 'fraud',
      model_version: '3',
      timestamp: Math.floor((i * WINDOW_END) / n),
      features: {
        amount: amount(r),
        binned: r() < 0.05 ? null : r() + (source === 5 ? 0.2 : 0),
        country: country(r, source, i),
        device:
          r() < 0.8 ? (['phone', 'desktop', true, 'tablet', 7][Math.floor(r() * 5)] ?? null) : 'tv',
      },
    }));
  });
}

export function emptyWindow(baseline: Baseline = partialsBaseline): Window {
  return new Window(baseline, 'fraud', '3', 0, WINDOW_END);
}

/** One window per source, each fed only that source's events. */
export function windowsPerSource(events: readonly PredictionLog[][]): Window[] {
  return events.map((logs, source) => {
    const window = emptyWindow();
    logs.forEach((log, offset) => window.add(log, source, offset));
    return window;
  });
}

/**
 * One window fed every event, the sources visited in reverse order in batches of varying
 * size: an interleaving unlike the ascending merge of the partials.
 */
export function windowOfAll(events: readonly PredictionLog[][]): Window {
  const window = emptyWindow();
  const next = events.map(() => 0);
  for (let round = 0; next.some((at, s) => at < (events[s] as PredictionLog[]).length); round++) {
    for (let source = events.length - 1; source >= 0; source--) {
      const logs = events[source] as PredictionLog[];
      const to = Math.min(logs.length, (next[source] as number) + 1 + ((round * 17 + source) % 40));
      for (let offset = next[source] as number; offset < to; offset++) {
        window.add(logs[offset] as PredictionLog, source, offset);
      }
      next[source] = to;
    }
  }
  return window;
}
