/**
 * Where driftwatch's time goes in `npm run bench:peers` (values fed by column): each part timed
 * on its own over the same windows, best of N. The KS parts are what `evaluateWindow` calls
 * for every numeric feature; the rest of the evaluation is the difference.
 */
import type { Baseline } from '../src/baseline/baseline.js';
import { DEFAULT_WINDOW_DRIFT_SETTINGS, evaluateWindow } from '../src/drift/window-points.js';
import { ksPValue, NumericAggregate } from '../detectors/index.js';
import { byColumns } from './peers-driftwatch.js';
import type { PeersData } from './peers-data.js';
import { bestOf } from './timing.js';

export interface Breakdown {
  /** Seconds for all windows: values into the aggregates. */
  aggregates: number;
  ksStatistic: number;
  ksPValue: number;
  /** PSI, chi-square, summaries, the correction and the result objects. */
  rest: number;
  /** KS p-values the asymptotic law computed by its one-sided sum (n·D² ≥ 2.2). */
  oneSidedSums: number;
  ksTests: number;
}

export function breakdown(baseline: Baseline, data: PeersData, runs: number): Breakdown {
  const fill = () => data.windows.map((_, w) => byColumns(baseline, data, w));
  const aggregates = bestOf(fill, runs).best;
  const windows = fill();
  const numeric = windows.flatMap((w) =>
    [...w.featureAggregates().values()].filter((a) => a instanceof NumericAggregate),
  );
  const settings = DEFAULT_WINDOW_DRIFT_SETTINGS;
  const ksStatistic = bestOf(() => numeric.map((a) => a.ksStatistic()), runs).best;
  const tests = numeric.map((a) => ({
    d: a.ksStatistic(),
    nRef: a.reference.sample?.population ?? 0,
    n: a.n,
  }));
  const pValues = () =>
    tests.map((t) =>
      ksPValue(t.d, t.nRef, t.n, settings.ksMethod, { maxExactWork: settings.ksMaxExactWork }),
    );
  const ksP = bestOf(pValues, runs).best;
  const evaluation = bestOf(() => windows.map((w) => evaluateWindow(w, settings)), runs).best;
  const oneSidedSums = tests.filter((t) => {
    const en = Math.round((t.nRef * t.n) / (t.nRef + t.n));
    return en > 140 && en * t.d * t.d >= 2.2 && en * t.d * t.d < 370;
  }).length;
  return {
    aggregates,
    ksStatistic,
    ksPValue: ksP,
    rest: Math.max(0, evaluation - ksStatistic - ksP),
    oneSidedSums,
    ksTests: tests.length,
  };
}
