/**
 * sfc32, a small seeded PRNG (Chris Doty-Humphrey's "small fast counting" generator): the
 * benches and randomised tests use it so every input, and every failure, reproduces from a
 * seed. Returns 32-bit unsigned words.
 */
export function sfc32(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 16; i++) next();
  return next;
}

/** Uniforms in [0, 1) with 53 random bits, from two sfc32 words each. */
export function uniform53(seed: number): () => number {
  const next = sfc32(seed);
  return () => ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992;
}
