/**
 * numpy's default ('linear') quantile of an ascending-sorted sample, bit-exact with numpy's
 * `_lerp`: interpolating from the nearer end keeps results monotone and exact at the ends.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('quantile of an empty sample');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile q must be in [0, 1], got ${q}`);
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const g = h - lo;
  const xlo = sorted[lo] as number;
  const xhi = sorted[hi] as number;
  const d = xhi - xlo;
  // Endpoints of opposite sign near ±1.7e308 overflow the difference (numpy gives inf/nan
  // there); the weighted form stays finite and between them.
  if (!Number.isFinite(d)) return xlo * (1 - g) + xhi * g;
  return g < 0.5 ? xlo + d * g : xhi - d * (1 - g);
}

/**
 * Cut points for `binCount` equal-frequency bins: the unique interior quantiles i/K,
 * i = 1..K-1. Ties collapse cut points, so heavily tied samples get fewer bins.
 */
export function quantileCuts(sorted: ArrayLike<number>, binCount: number): Float64Array {
  if (!Number.isInteger(binCount) || binCount < 2) {
    throw new RangeError(`binCount must be an integer >= 2, got ${binCount}`);
  }
  const cuts: number[] = [];
  for (let i = 1; i < binCount; i++) {
    const c = quantileSorted(sorted, i / binCount);
    if (cuts.length === 0 || c > (cuts[cuts.length - 1] as number)) cuts.push(c);
  }
  return Float64Array.from(cuts);
}
