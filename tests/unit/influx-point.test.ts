import { describe, expect, it } from 'vitest';
import { toPoint } from '../support/to-point.js';
import { DEFAULT_WINDOW_DRIFT_SETTINGS, evaluateWindow } from '../../src/drift/window-points.js';
import { Windower } from '../../src/windows/windower.js';
import { fraudBaseline, storeOf } from '../support/baselines.js';

const baseline = fraudBaseline({
  amount: {
    kind: 'numeric',
    cuts: [10, 20],
    proportions: [0.25, 0.5, 0.25],
    count: 4,
    missing: 0,
    sample: [5, 15, 15, 25],
  },
  country: { kind: 'categorical', proportions: { DE: 0.5, FR: 0.5 }, count: 100, missing: 0 },
});

function linesFor(values: (number | null)[]): string[] {
  const w = new Windower(60_000, 0, storeOf(baseline));
  // An event without features opens the window even when no value is given.
  w.add({ model: 'fraud', model_version: '3', timestamp: 0, features: {} }, 0, 98);
  values.forEach((amount, i) =>
    w.add({ model: 'fraud', model_version: '3', timestamp: i, features: { amount } }, 0, i),
  );
  w.add({ model: 'fraud', model_version: '3', timestamp: 60_000, features: {} }, 0, 99);
  const [window] = w.takeClosed();
  const settings = {
    ...DEFAULT_WINDOW_DRIFT_SETTINGS,
    numericMethods: ['ks', 'psi', 'wasserstein'] as const,
    minSamples: 2,
  };
  return evaluateWindow(window!, settings).map((p) => toPoint(p, 'drift').toLineProtocol() ?? '');
}

describe('InfluxDB points', () => {
  it('carry p-values, thresholds and status, and never a NaN, whatever the window held', () => {
    for (const values of [[], [null], [3], [5, 15, 15, 25, 100, 7]]) {
      const lines = linesFor(values);
      for (const line of lines) {
        expect(line).not.toMatch(/NaN|Infinity/);
        expect(line).toMatch(/ 60000$/);
      }
      if (values.length === 6) {
        const ks = lines.find((l) => l.includes('method=ks'))!;
        expect(ks).toMatch(/p_value=[0-9.e-]+,/);
        expect(ks).toContain('threshold=0.05');
        expect(ks).toContain('status="ok"');
        expect(ks).toContain('p_value_method="exact"');
        expect(lines.find((l) => l.includes('method=wasserstein'))).toContain('statistic_bound=');
        const summary = lines.find(
          (l) => l.includes('feature=amount') && l.includes('method=summary'),
        );
        expect(summary).toMatch(
          /max=100,mean=[0-9.]+,min=5,missing=1i,n=6i,std=[0-9.]+,wrong_type=0i 60000$/,
        );
      } else {
        const ks = lines.find((l) => l.includes('method=ks'))!;
        expect(ks).toContain('status="insufficient_data"');
        expect(ks).not.toContain('statistic=');
      }
    }
  });

  it('huge values (1e200, ±1e308) never put NaN or Infinity in a point', () => {
    const lines = linesFor([1e200, -1e308, 1e308, 1e308, 5]);
    for (const line of lines) expect(line).not.toMatch(/NaN|Infinity/);
    expect(lines.find((l) => l.includes('method=wasserstein'))).toContain('status="unavailable"');
  });
});
