/**
 * Deterministic sample generator shared with tests/fixtures/make_detectors_reference.py.
 *
 * Fixtures store a large sample as a small spec instead of its values. Both sides run mulberry32
 * on 32-bit integers and turn each output into a 24-bit dyadic uniform u = (x >>> 8) / 2^24.
 * Every later step (sum of 12 uniforms, floor(u·k), ·scale + shift) runs the same IEEE double
 * operations in the same order, and with dyadic scale/shift the intermediates are exact. So the
 * TypeScript values are bit-identical to the Python ones.
 *
 * Each spec in the fixture carries a `check` (n, left-to-right sum, first/last value, FNV-1a of
 * the float64 bytes) so a test can prove it regenerated the same sample.
 */

export type SampleSpec =
  /** u·scale + shift, u uniform on [0, 1) in steps of 2^-24. */
  | { gen: 'uniform'; n: number; seed: number; scale?: number; shift?: number }
  /** (Σ of 12 uniforms − 6)·scale + shift: Irwin–Hall, mean shift, sd scale, range ±6·scale. */
  | { gen: 'normal'; n: number; seed: number; scale?: number; shift?: number }
  /** floor(u·k)·scale + shift: k equally likely levels, heavy ties. */
  | { gen: 'discrete'; n: number; seed: number; k: number; scale?: number; shift?: number }
  /** start + i·step for i = 0..n−1 (no randomness). */
  | { gen: 'range'; n: number; start: number; step: number };

export interface SampleCheck {
  n: number;
  /** Left-to-right double sum (not a pairwise sum). */
  sum: number;
  first: number;
  last: number;
  /** FNV-1a (32-bit) over the little-endian float64 bytes of every value. */
  fnv1a: number;
}

const TWO24 = 16_777_216;

/** mulberry32: the common JS original, returning uint32 values. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Uniforms on [0, 1) from mulberry32 (full 32-bit resolution, not the fixtures' dyadic 24). */
export function uniforms(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 4294967296;
}

/** The values of a generator spec (bit-identical to `generate` in the Python script). */
export function generateSample(spec: SampleSpec): Float64Array {
  const out = new Float64Array(spec.n);
  if (spec.gen === 'range') {
    for (let i = 0; i < spec.n; i++) out[i] = spec.start + i * spec.step;
    return out;
  }
  const next = mulberry32(spec.seed);
  const scale = spec.scale ?? 1;
  const shift = spec.shift ?? 0;
  switch (spec.gen) {
    case 'uniform':
      for (let i = 0; i < spec.n; i++) out[i] = ((next() >>> 8) / TWO24) * scale + shift;
      break;
    case 'normal':
      for (let i = 0; i < spec.n; i++) {
        let s = 0; // integer < 12·2^24: exact
        for (let j = 0; j < 12; j++) s += next() >>> 8;
        out[i] = ((s - 6 * TWO24) / TWO24) * scale + shift;
      }
      break;
    case 'discrete':
      for (let i = 0; i < spec.n; i++) {
        out[i] = Math.floor(((next() >>> 8) * spec.k) / TWO24) * scale + shift;
      }
      break;
  }
  return out;
}

/** FNV-1a over the little-endian float64 bytes of `values`. */
export function fnv1aFloat64(values: ArrayLike<number>): number {
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  let h = 0x811c9dc5;
  for (let i = 0; i < values.length; i++) {
    view.setFloat64(0, values[i] as number, true);
    for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  }
  return h;
}

/** The checksum the Python script stores next to every spec. */
export function sampleCheck(values: ArrayLike<number>): SampleCheck {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] as number;
  return {
    n: values.length,
    sum,
    first: values[0] as number,
    last: values[values.length - 1] as number,
    fnv1a: fnv1aFloat64(values),
  };
}

/**
 * Values over nine orders of magnitude (shifted by 10^shift), both signs: float sums and
 * Welford's update round differently whenever the order of the additions changes.
 */
export function wide(r: () => number, shift = 0): number {
  return (r() < 0.3 ? -1 : 1) * 10 ** (shift + 9 * r() - 3) * (1 + r());
}
