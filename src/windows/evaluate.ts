import type { Window } from './window.js';

/** One drift statistic of one feature in one closed window (the InfluxDB point's content). */
export interface DriftResult {
  model: string;
  modelVersion: string;
  feature: string;
  method: 'psi';
  baselineHash: string;
  windowStart: number;
  windowEnd: number;
  statistic: number;
  threshold: number;
  drifted: boolean;
  /** Non-missing values in the window. */
  n: number;
  missing: number;
}

export interface DriftSettings {
  psiEpsilon: number;
  psiThreshold: number;
}

/** PSI per baseline feature; a feature with no value in the window has no statistic to report. */
export function evaluateWindow(window: Window, settings: DriftSettings): DriftResult[] {
  const results: DriftResult[] = [];
  for (const [feature, aggregate] of window.featureAggregates()) {
    const n = aggregate.n;
    if (n === 0) continue;
    const statistic = aggregate.psi(settings.psiEpsilon);
    results.push({
      model: window.baseline.model,
      modelVersion: window.baseline.modelVersion,
      feature,
      method: 'psi',
      baselineHash: window.baseline.hash,
      windowStart: window.start,
      windowEnd: window.end,
      statistic,
      threshold: settings.psiThreshold,
      drifted: statistic >= settings.psiThreshold,
      n,
      missing: aggregate.missing,
    });
  }
  return results;
}
