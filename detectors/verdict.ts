import type { DriftMethod } from './settings.js';

/**
 * Which rule gave a result its verdict, so a point says why it did or did not flag:
 * - `min_samples`: fewer values than minSamples (insufficient_data);
 * - `sparse_bins`: fewer than two bins expecting enough values (insufficient_data);
 * - `unavailable`: the baseline cannot support the method (see `reason`);
 * - `p_value`: KS, chi-square: the p-value (adjusted, with a correction) against α;
 * - `threshold`: a distance (PSI) against its threshold; for PSI the value was also beyond
 *   sampling noise, or below the threshold anyway;
 * - `noise_floor`: PSI above its threshold but within what sampling alone produces at this n
 *   and these bins: not flagged.
 */
export type DecisionRule =
  'min_samples' | 'sparse_bins' | 'unavailable' | 'p_value' | 'threshold' | 'noise_floor';

export interface VerdictInput {
  method: DriftMethod;
  statistic: number;
  /** The p-value after any correction (PSI: its sampling p-value). */
  p: number | null;
  threshold: number;
  /** PSI: psiAlpha; p-value tests: their threshold. */
  alpha: number | null;
  warningThreshold?: number;
}

export interface Verdict {
  drifted: boolean;
  warning: boolean;
  rule: DecisionRule;
}

export function verdictOf(v: VerdictInput): Verdict {
  if (v.method === 'ks' || v.method === 'chi_square') {
    const drifted = (v.p as number) <= v.threshold;
    return { drifted, warning: drifted, rule: 'p_value' };
  }
  if (v.method === 'psi') {
    const beyondNoise = v.p === null || v.alpha === null || v.p <= v.alpha;
    const above = v.statistic >= v.threshold;
    const drifted = above && beyondNoise;
    const warning = drifted || (beyondNoise && v.statistic >= (v.warningThreshold ?? v.threshold));
    return { drifted, warning, rule: above && !beyondNoise ? 'noise_floor' : 'threshold' };
  }
  const drifted = v.statistic >= v.threshold;
  return { drifted, warning: drifted, rule: 'threshold' };
}
