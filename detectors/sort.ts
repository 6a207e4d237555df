/** Below this many values the built-in sort wins (the radix passes have fixed costs). */
const RADIX_MIN = 2_048;
/** Six digits of 11, 11 and 10 bits per 32-bit word: small count tables stay in cache. */
const SHIFTS = [0, 11, 22, 0, 11, 22] as const;
const MASKS = [0x7ff, 0x7ff, 0x3ff, 0x7ff, 0x7ff, 0x3ff] as const;
const DIGITS = SHIFTS.length;
const RADIX = 1 << 11;
/**
 * The digit counts, 48 KB, allocated once: a 3,000-value window spent as much time allocating
 * and collecting a fresh table as sorting. Only radixSort uses it, start to end, and it calls
 * out to nothing, so no two sorts ever share it.
 */
const COUNTS = new Uint32Array(DIGITS * RADIX);

/**
 * An ascending copy of `values` (no NaN), ordered exactly as Float64Array.prototype.sort
 * orders them (−0 before +0). Beyond a couple of thousand values the comparison sort is slow
 * (~150 µs for 3,000 values in V8): values spread evenly enough go through a distribution
 * sort (about three times faster), the rest through an LSD radix sort over the IEEE-754 bit
 * patterns — six passes of 11 bits or fewer over keys mapped so that unsigned order is
 * numeric order — two to three times faster than the comparison sort, which dominates KS and
 * Wasserstein on big windows.
 */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(values);
  const n = out.length;
  // Already in order (a window's values handed on between stages travel sorted): one pass.
  if (inSortOrder(out)) return out;
  if (n < RADIX_MIN) return out.sort();
  const distributed = distributionSorted(out);
  if (distributed !== null) return distributed;
  const keys = radixSort(
    new Uint32Array(out.buffer, out.byteOffset, 2 * n),
    new Uint32Array(2 * n),
  );
  return new Float64Array(keys.buffer, keys.byteOffset, n);
}

/**
 * Sorts `values` in place, in sortedCopy's order, and returns it: for a caller that owns the
 * array and sorts many, `scratch` (2 words per value, or more) serves every radix sort instead
 * of a new buffer each time.
 */
export function sortInPlace(values: Float64Array, scratch?: Uint32Array): Float64Array {
  const n = values.length;
  if (n < RADIX_MIN) return values.sort();
  const own = new Uint32Array(values.buffer, values.byteOffset, 2 * n);
  const spare =
    scratch !== undefined && scratch.length >= 2 * n
      ? scratch.subarray(0, 2 * n)
      : new Uint32Array(2 * n);
  const keys = radixSort(own, spare);
  if (keys !== own) own.set(keys);
  return values;
}

/**
 * The radix passes over `keys` (two words per double, little-endian), using `spare` (as long)
 * for the scatters; returns whichever of the two holds the sorted doubles.
 */
function radixSort(keys: Uint32Array, spare: Uint32Array): Uint32Array {
  const n = keys.length / 2;
  // Little-endian words: [2i] low, [2i + 1] high. Negative numbers: flip all bits (larger
  // magnitude sorts first); positive: set the sign bit (above every negative).
  for (let i = 0; i < n; i++) {
    const hi = keys[2 * i + 1] as number;
    if (hi & 0x80000000) {
      keys[2 * i + 1] = ~hi >>> 0;
      keys[2 * i] = ~(keys[2 * i] as number) >>> 0;
    } else {
      keys[2 * i + 1] = (hi | 0x80000000) >>> 0;
    }
  }
  const counts = COUNTS.fill(0);
  for (let i = 0; i < n; i++) {
    const lo = keys[2 * i] as number;
    const hi = keys[2 * i + 1] as number;
    counts[lo & 0x7ff]!++;
    counts[RADIX + ((lo >>> 11) & 0x7ff)]!++;
    counts[2 * RADIX + (lo >>> 22)]!++;
    counts[3 * RADIX + (hi & 0x7ff)]!++;
    counts[4 * RADIX + ((hi >>> 11) & 0x7ff)]!++;
    counts[5 * RADIX + (hi >>> 22)]!++;
  }
  for (let pass = 0; pass < DIGITS; pass++) {
    const base = pass * RADIX;
    // A digit every key shares cannot reorder anything: skip the pass.
    let sum = 0;
    let single = false;
    for (let d = 0; d < RADIX; d++) {
      const c = counts[base + d] as number;
      if (c === n) single = true;
      counts[base + d] = sum;
      sum += c;
    }
    if (single) continue;
    const word = pass < 3 ? 0 : 1;
    const shift = SHIFTS[pass] as number;
    const mask = MASKS[pass] as number;
    for (let i = 0; i < n; i++) {
      const digit = ((keys[2 * i + word] as number) >>> shift) & mask;
      const at = counts[base + digit] as number;
      counts[base + digit] = at + 1;
      spare[2 * at] = keys[2 * i] as number;
      spare[2 * at + 1] = keys[2 * i + 1] as number;
    }
    [keys, spare] = [spare, keys];
  }
  for (let i = 0; i < n; i++) {
    const hi = keys[2 * i + 1] as number;
    if (hi & 0x80000000) {
      keys[2 * i + 1] = (hi & 0x7fffffff) >>> 0;
    } else {
      keys[2 * i + 1] = ~hi >>> 0;
      keys[2 * i] = ~(keys[2 * i] as number) >>> 0;
    }
  }
  return keys;
}

/** Whether `a` (no NaN) is as Float64Array.prototype.sort leaves it: ascending, −0 before +0. */
function inSortOrder(a: Float64Array): boolean {
  for (let i = 1; i < a.length; i++) {
    const x = a[i - 1] as number;
    const y = a[i] as number;
    if (x < y) continue;
    if (x > y || (x === 0 && Object.is(x, 0) && Object.is(y, -0))) return false;
  }
  return true;
}

/** Insertion moves per value the distribution sort may need at most, else the radix sort. */
const INSERTION_BUDGET = 8;

/**
 * `values` sorted into a new array by a distribution sort, or null when they are spread too
 * unevenly for it: each value goes to one of n equal-width buckets over [min, max] — the
 * bucket is a monotone function of the value, so the buckets come out in order — and one
 * insertion pass orders each bucket. A bucket of c values takes at most c(c − 1)/2 moves;
 * when the counts promise more than the budget (an outlier stretching the range, a heavy
 * tail, heavy ties) nothing has been moved yet and the radix sort takes over.
 */
function distributionSorted(values: Float64Array): Float64Array | null {
  const n = values.length;
  let min = Infinity;
  let max = -Infinity;
  let zeros = 0;
  for (let i = 0; i < n; i++) {
    const x = values[i] as number;
    if (x < min) min = x;
    if (x > max) max = x;
    if (x === 0) zeros++;
  }
  const buckets = n;
  const scale = buckets / (max - min);
  if (!(scale > 0 && Number.isFinite(scale))) return null;
  const bucket = (x: number) => Math.min(buckets - 1, Math.floor((x - min) * scale));
  const starts = new Uint32Array(buckets + 1);
  for (let i = 0; i < n; i++) starts[bucket(values[i] as number) + 1]!++;
  let moves = 0;
  for (let b = 1; b <= buckets; b++) {
    const c = starts[b] as number;
    moves += (c * (c - 1)) / 2;
    starts[b] = c + (starts[b - 1] as number);
  }
  if (moves > INSERTION_BUDGET * n) return null;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = values[i] as number;
    out[starts[bucket(x)]!++] = x;
  }
  for (let i = 1; i < n; i++) {
    const x = out[i] as number;
    let j = i - 1;
    while (j >= 0 && (out[j] as number) > x) {
      out[j + 1] = out[j] as number;
      j--;
    }
    out[j + 1] = x;
  }
  if (zeros > 1) negativeZerosFirst(out);
  return out;
}

/** In a sorted array, each run of zeros as sort leaves it: the negative ones first. */
function negativeZerosFirst(a: Float64Array): void {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== 0) continue;
    let end = i;
    let negative = 0;
    while (end < a.length && a[end] === 0) {
      if (Object.is(a[end], -0)) negative++;
      end++;
    }
    a.fill(-0, i, i + negative);
    a.fill(0, i + negative, end);
    i = end;
  }
}
