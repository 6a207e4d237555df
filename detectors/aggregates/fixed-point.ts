/**
 * Exact, order-independent sums of offsets inside one interval of known width: each offset is
 * rounded to a multiple of a power-of-two quantum q (about width · 2^-52, finer than the
 * rounding of one float addition) and the multiples are added as integers in two float64
 * words, lo < 2^52 and hi counting units of 2^52 quanta. Integer additions below 2^53 are
 * exact, so the sum is the same whatever the order of the values or of the merges; only
 * reading it rounds, once.
 *
 * The hot path multiplies by the scale 1/q rather than dividing by q.
 */

const TWO_52 = 2 ** 52;
const TWO_M52 = 2 ** -52;

/**
 * SCALES[e] = 1/q = 2^(1074 − e) for the biased exponent e of a width: width < 2^(e − 1022),
 * so every offset in [0, width] is below 2^52 quanta. Capped at 2^1022 (widths below
 * 2^-970 get a coarser quantum rather than an infinite scale); e = 2047 (an infinite width:
 * the range overflowed) counts as the largest finite exponent. Built by halving, exact.
 */
const SCALES = new Float64Array(2048);
SCALES[0] = 2 ** 1022;
for (let e = 1; e < 2047; e++) {
  SCALES[e] = e <= 52 ? 2 ** 1022 : (SCALES[e - 1] as number) / 2;
}
SCALES[2047] = SCALES[2046] as number;

const bits = new DataView(new ArrayBuffer(8));

/** The scale (1 / quantum, a power of two) of an interval of this width. */
export function scaleOf(width: number): number {
  bits.setFloat64(0, width);
  return SCALES[(bits.getUint16(0) >>> 4) & 0x7ff] as number;
}

const scalesCache = new WeakMap<Float64Array, Float64Array>();

/**
 * Per interval k between ascending values[k−1] and values[k] (k = 1..length−1), its scale.
 * Computed once per reference sample and shared by every window against it: the per-value
 * path cannot afford the bit twiddling.
 */
export function scalesOf(values: Float64Array): Float64Array {
  let scales = scalesCache.get(values);
  if (scales === undefined) {
    scales = new Float64Array(values.length);
    for (let k = 1; k < values.length; k++) {
      scales[k] = scaleOf((values[k] as number) - (values[k - 1] as number));
    }
    scalesCache.set(values, scales);
  }
  return scales;
}

/**
 * Adds `offset` (0 ≤ offset ≤ the interval's width) to the sum kept at words[at] (lo) and
 * words[at + 1] (hi), for an interval of this scale.
 */
export function addOffset(words: Float64Array, at: number, offset: number, scale: number): void {
  // offset · scale only moves the exponent (exact but for tiny offsets of huge intervals,
  // which round deterministically) and lies in [0, 2^52]; adding and removing 2^52 rounds it
  // to an integer (ties to even). lo stays below 2^52, so lo + m is exact; no branch: the
  // carry is taken every few values.
  const lo = (words[at] as number) + (offset * scale + TWO_52 - TWO_52);
  const carry = Math.floor(lo * TWO_M52);
  words[at] = lo - carry * TWO_52;
  words[at + 1] = (words[at + 1] as number) + carry;
}

/** Adds the sum kept in `source` at `at` to the one in `target` at the same place. */
export function mergeSum(target: Float64Array, source: Float64Array, at: number): void {
  addSum(target, at, source[at] as number, source[at + 1] as number);
}

/** Adds the sum (lo, hi) — two words as `isSum` accepts them — to the one kept at `at`. */
export function addSum(target: Float64Array, at: number, lo: number, hi: number): void {
  const low = (target[at] as number) + lo;
  const carry = Math.floor(low * TWO_M52);
  target[at] = low - carry * TWO_52;
  target[at + 1] = (target[at + 1] as number) + hi + carry;
}

/** The sum kept at `at`, for an interval of this scale, rounded once. */
export function sumAt(words: Float64Array, at: number, scale: number): number {
  return ((words[at + 1] as number) * TWO_52 + (words[at] as number)) / scale;
}

/** Whether (lo, hi) can be a sum kept by these functions: integers, lo below 2^52. */
export function isSum(lo: number, hi: number): boolean {
  return Number.isInteger(lo) && lo >= 0 && lo < TWO_52 && Number.isSafeInteger(hi) && hi >= 0;
}
