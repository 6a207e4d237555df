import { nonNegativeSum } from './distribution.js';
import { DetectorInputError } from './errors.js';
import { chiSquareSf } from './special/incomplete-gamma.js';

export interface ChiSquareResult {
  statistic: number;
  pValue: number;
  dof: number;
}

/** scipy's tolerance on Σobserved vs Σexpected: sqrt(machine epsilon). */
const SUM_TOLERANCE = Math.sqrt(Number.EPSILON);

/**
 * Goodness of fit, scipy.stats.chisquare(f_obs, f_exp): Σ (o − e)²/e with k − 1 degrees of
 * freedom. `expected` is not rescaled: its total must equal the observed total (relative
 * tolerance sqrt(ε), as scipy), so scale baseline proportions to the window size first.
 * A cell expected 0 but observed > 0 makes the statistic +∞ and p = 0 (as scipy); a cell
 * that is 0 on both sides carries no information and is left out (scipy would return NaN).
 */
export function chiSquareGoodnessOfFit(
  observed: ArrayLike<number>,
  expected: ArrayLike<number>,
): ChiSquareResult {
  const fn = 'chiSquareGoodnessOfFit';
  if (observed.length !== expected.length) {
    throw new DetectorInputError(
      fn,
      `observed and expected must have the same length (${observed.length} vs ${expected.length})`,
    );
  }
  if (observed.length === 0) throw new DetectorInputError(fn, 'no categories');
  const oTotal = nonNegativeSum(fn, 'observed', observed);
  const eTotal = nonNegativeSum(fn, 'expected', expected);
  if (!(oTotal > 0) || !(eTotal > 0)) {
    throw new DetectorInputError(
      fn,
      `observed and expected must have positive totals (${oTotal}, ${eTotal})`,
    );
  }
  const relativeDiff = Math.abs(oTotal - eTotal) / Math.min(oTotal, eTotal);
  if (relativeDiff > SUM_TOLERANCE) {
    throw new DetectorInputError(
      fn,
      `observed total ${oTotal} and expected total ${eTotal} differ (relative ${relativeDiff.toExponential(3)} > ${SUM_TOLERANCE.toExponential(3)}); scale expected to the observed total`,
    );
  }
  let statistic = 0;
  let cells = 0;
  for (let i = 0; i < observed.length; i++) {
    const o = observed[i] as number;
    const e = expected[i] as number;
    if (e === 0 && o === 0) continue;
    cells++;
    const d = o - e;
    statistic += (d * d) / e;
  }
  const dof = cells - 1;
  const pValue = dof > 0 ? chiSquareSf(dof, statistic) : 1;
  return { statistic: dof > 0 ? statistic : 0, pValue, dof: Math.max(dof, 0) };
}

/**
 * Test of homogeneity/independence, scipy.stats.chi2_contingency(table, correction):
 * expected = rowSum·colSum/total, dof = (r − 1)(c − 1), Yates' continuity correction only
 * when dof = 1 (each |o − e| reduced by at most 0.5). A row or column of zeros makes an
 * expected cell 0: scipy raises, and so do we — drop categories absent on both sides first.
 */
export function chiSquareContingency(
  table: ArrayLike<number>[],
  opts: { correction?: boolean } = {},
): ChiSquareResult {
  const fn = 'chiSquareContingency';
  const correction = opts.correction ?? true;
  const rows = table.length;
  const first = table[0];
  if (rows === 0 || first === undefined || first.length === 0) {
    throw new DetectorInputError(fn, 'the table is empty');
  }
  const cols = first.length;
  const rowSums = new Float64Array(rows);
  const colSums = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const row = table[r] as ArrayLike<number>;
    if (row.length !== cols) {
      throw new DetectorInputError(fn, `row ${r} has ${row.length} cells, row 0 has ${cols}`);
    }
    rowSums[r] = nonNegativeSum(fn, `table[${r}]`, row);
    for (let c = 0; c < cols; c++) colSums[c] = (colSums[c] as number) + (row[c] as number);
  }
  let total = 0;
  for (let r = 0; r < rows; r++) total += rowSums[r] as number;
  for (let r = 0; r < rows; r++) {
    if (rowSums[r] === 0)
      throw new DetectorInputError(fn, `row ${r} is all zeros (expected frequency 0)`);
  }
  for (let c = 0; c < cols; c++) {
    if (colSums[c] === 0)
      throw new DetectorInputError(fn, `column ${c} is all zeros (expected frequency 0)`);
  }
  const dof = (rows - 1) * (cols - 1);
  if (dof === 0) return { statistic: 0, pValue: 1, dof: 0 };
  const yates = correction && dof === 1;
  let statistic = 0;
  for (let r = 0; r < rows; r++) {
    const row = table[r] as ArrayLike<number>;
    for (let c = 0; c < cols; c++) {
      const e = ((rowSums[r] as number) * (colSums[c] as number)) / total;
      let o = row[c] as number;
      if (yates) {
        const diff = e - o;
        o += Math.sign(diff) * Math.min(0.5, Math.abs(diff));
      }
      const d = o - e;
      statistic += (d * d) / e;
    }
  }
  return { statistic, pValue: chiSquareSf(dof, statistic), dof };
}
