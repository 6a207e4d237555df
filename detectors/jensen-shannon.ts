import { checkedTotal, checkSameLength } from './distribution.js';
import { DetectorInputError } from './errors.js';

/** x·ln(x/y), 0 when x = 0 (scipy.special.rel_entr for x, y >= 0). */
function relEntr(x: number, y: number): number {
  return x === 0 ? 0 : x * Math.log(x / y);
}

/**
 * scipy.spatial.distance.jensenshannon(p, q, base): p and q normalised by their sums,
 * sqrt((KL(p‖m) + KL(q‖m)) / (2·ln base)) with m = (p + q)/2. Unlike scipy, a divergence that
 * rounds slightly below 0 for near-identical inputs is clamped to 0 instead of giving NaN.
 */
export function jensenShannonDistance(
  p: ArrayLike<number>,
  q: ArrayLike<number>,
  opts: { base?: number } = {},
): number {
  const fn = 'jensenShannonDistance';
  if (
    opts.base !== undefined &&
    !(opts.base > 0 && opts.base !== 1 && Number.isFinite(opts.base))
  ) {
    throw new DetectorInputError(
      fn,
      `base must be a positive number other than 1, got ${opts.base}`,
    );
  }
  checkSameLength(fn, p, q, ['p', 'q']);
  const pTotal = checkedTotal(fn, 'p', p);
  const qTotal = checkedTotal(fn, 'q', q);
  let left = 0;
  let right = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = (p[i] as number) / pTotal;
    const qi = (q[i] as number) / qTotal;
    const m = (pi + qi) / 2;
    left += relEntr(pi, m);
    right += relEntr(qi, m);
  }
  let js = left + right;
  if (opts.base !== undefined) js /= Math.log(opts.base);
  return Math.sqrt(Math.max(0, js / 2));
}
