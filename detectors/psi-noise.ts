import { chiSquareSf } from './special/incomplete-gamma.js';

/**
 * How likely sampling alone (no drift) gives a PSI at least this large, comparing a window of
 * n values with N training values over k bins, each expecting enough values (poolSparseBins).
 *
 * PSI is the symmetrised Kullback–Leibler divergence; to second order it is
 * Σ (cᵢ − rᵢ)²/rᵢ, and with cᵢ, rᵢ the shares of two independent samples of one distribution
 * PSI / (1/n + 1/N) follows χ² with k − 1 degrees of freedom (mean (k − 1)(1/n + 1/N), as
 * measured down to n ≈ 100). A fixed PSI threshold means nothing at small n: at n = 30 with
 * 10 bins, sampling alone passes 0.25 in two thirds of the windows. So PSI flags only when it
 * is both above its threshold and beyond what sampling produces (this p-value at most α).
 */
export function psiSamplingPValue(
  statistic: number,
  n: number,
  nRef: number,
  bins: number,
): number {
  if (bins < 2 || !(n > 0) || !(nRef > 0)) return 1;
  return chiSquareSf(bins - 1, statistic / (1 / n + 1 / nRef));
}
