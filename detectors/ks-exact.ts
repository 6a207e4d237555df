/**
 * Exact null distribution of the two-sided two-sample KS statistic, as scipy's
 * `_attempt_exact_2kssamp` computes it (so p-values agree to the last bits): D is measured in
 * units of 1/lcm(n1, n2), h = round(D·lcm), and P(D >= h/lcm) is
 *  - n1 = n2: the reflection sum 2·Σ(−1)^(k+1) C(2n, n−kh)/C(2n, n), evaluated Horner-style
 *    as products of ratios, which avoids cancellation (O(n));
 *  - otherwise: Hodges' "inside method" over the lattice paths, rewritten by Viehmann
 *    (arXiv:2102.08037) to carry 1 − p directly so small p-values keep their precision
 *    (O(max·(2·D·min + 1)) steps with a sliding window of one column). Each step is a convex
 *    combination; we form its weights from a table of reciprocals instead of dividing, which
 *    takes the division off the dependency chain (2–3× faster) and agrees with scipy to a few
 *    ulps (≤ 1e-14 relative in tests) instead of bit for bit; near p = 1, where an ulp
 *    decides whether scipy falls back to asymp, scipy's exact arithmetic is used.
 */

export function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** P(D_{n,n} >= h/n). */
export function outsideSquareProbability(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let term = 1;
    const base = n - k * h;
    const top = n + k * h + 1;
    for (let j = 0; j < h; j++) term = ((base - j) * term) / (top + j);
    p = term * (1 - p);
  }
  return 2 * p;
}

/**
 * P(D_{m,n} >= h/lcm(m, n)) for m != n, g = gcd(m, n). `faithful` divides at every step as
 * scipy does (bit-identical, slower); used where the last ulp decides something.
 */
export function outsideInsideMethodProbability(
  m: number,
  n: number,
  g: number,
  h: number,
  faithful = false,
): number {
  if (m < n) [m, n] = [n, m];
  const mg = m / g;
  const ng = n / g;
  let lo = 0;
  let hi = Math.min(Math.ceil(h / mg), n + 1);
  let width = hi - lo;
  // Column of the path-count table (as 1 − proportion), only the band the lines allow.
  const column = new Float64Array(Math.min(2 * hi + 2, n + 1)).fill(1);
  column.fill(0, lo, hi);
  const reciprocal = new Float64Array(faithful ? 0 : m + n + 1);
  for (let s = 1; s < reciprocal.length; s++) reciprocal[s] = 1 / s;
  for (let i = 1; i <= m; i++) {
    const prevLo = lo;
    const prevWidth = width;
    lo = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    hi = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (hi <= lo) return 1;
    let val = lo === 0 ? 0 : 1;
    const shift = lo - prevLo;
    for (let k = 0; k < hi - lo; k++) {
      const j = k + lo;
      if (faithful) {
        val = ((column[k + shift] as number) * i + val * j) / (i + j);
      } else {
        const r = reciprocal[i + j] as number;
        val = (column[k + shift] as number) * (i * r) + val * (j * r);
      }
      column[k] = val;
    }
    width = hi - lo;
    if (prevWidth > width) column.fill(1, width, width + (prevWidth - width));
  }
  return column[hi - lo - 1] as number;
}

/** Steps of the inside method for these sizes and D (its cost; equal sizes cost O(n)). */
export function insideMethodWork(d: number, n1: number, n2: number): number {
  return Math.max(n1, n2) * (2 * d * Math.min(n1, n2) + 1);
}

/**
 * Whether the exact two-sided p-value is certainly below 1e-300, from the DKW–Massart
 * inequality applied to each sample (D <= D1 + D2 against the common F):
 * P(D >= d) <= 4·exp(−2·d²·n1·n2/(√n1 + √n2)²). Such a p-value is reported as 0: scipy's own
 * recursion returns rounding noise there (e.g. 6e-321), and "below 1e-300" is all it can say.
 */
export function exactPCertainlyNegligible(d: number, n1: number, n2: number): boolean {
  const root = Math.sqrt(n1) + Math.sqrt(n2);
  return (2 * d * d * n1 * n2) / (root * root) > 700;
}

/** Largest lcm scipy will attempt exactly (int32 guard in ks_2samp). */
const INT32_MAX = 2 ** 31 - 1;

/** Whether scipy's `method='exact'` would run exactly for these sizes (else it uses asymp). */
export function exactFeasible(n1: number, n2: number): boolean {
  const g = gcd(n1, n2);
  return n1 / g < INT32_MAX / (n2 / g);
}

/** D as exact mode reports it: rounded to the lattice 1/lcm(n1, n2). */
export function roundToLattice(d: number, n1: number, n2: number): number {
  const lcm = (n1 / gcd(n1, n2)) * n2;
  return roundHalfEven(d * lcm) / lcm;
}

/**
 * Exact two-sided p-value, unclipped: rounding can push it a few ulps above 1, which scipy
 * treats as a failed exact attempt (it then uses asymp), so the caller decides. Also returns
 * D rounded to the lattice, as scipy reports it.
 */
export function exactTwoSided(d: number, n1: number, n2: number): { d: number; p: number } {
  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  const h = roundHalfEven(d * lcm);
  const rounded = h / lcm;
  if (h === 0) return { d: rounded, p: 1 };
  if (n1 === n2) return { d: rounded, p: outsideSquareProbability(n1, h) };
  const p = outsideInsideMethodProbability(n1, n2, g, h);
  // Near 1 the last ulp decides whether scipy keeps the exact result (p <= 1) or falls back
  // to asymp: recompute scipy's way. p near 1 means a small D, so a narrow, cheap band.
  if (p > 1 - 1e-9) return { d: rounded, p: outsideInsideMethodProbability(n1, n2, g, h, true) };
  return { d: rounded, p };
}

/** numpy's round: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
