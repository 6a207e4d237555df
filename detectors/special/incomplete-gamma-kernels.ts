/**
 * Building blocks of the regularised incomplete gamma functions (see incomplete-gamma.ts).
 *
 * The point of this file is accuracy for large `a`: the prefactor xᵃe⁻ˣ/Γ(a) is computed as
 * √(a/2π)·exp(a·log1pmx((x−a)/a) − ln Γ*(a)), with Γ*(a) = Γ(a)/(√(2π/a)·aᵃe⁻ᵃ) the scaled gamma
 * function (DLMF 5.11.3, Temme's Γ*), instead of exp(a·ln x − x − ln Γ(a)), whose three terms of
 * size ~a·ln a each carry a rounding error of that size (scipy is up to 1e-11 relative off in
 * far tails at a ≈ 1000–5000 for that reason).
 *
 * References: DLMF §5.11 (Stirling series), §8.7 (series), §8.9 (continued fraction), §7.9
 * (erfc as Γ(½, y²)); cephes/scipy `igam.h` for the method choices.
 */

/** Unit roundoff, 2⁻⁵³: the convergence tolerance of every series below. */
export const EPS = 2 ** -53;
/** Just outside the Temme region the series takes ~5√a terms (5200 at a = 1e6): enough to
 * a ≈ 1e8. */
const MAX_ITER = 100_000;
const TINY = 1e-300;
const SQRT_PI = Math.sqrt(Math.PI);
const TWO_PI = 2 * Math.PI;
const EULER_GAMMA = 0.5772156649015329;

/** log(1+x) − x, without the cancellation of log1p(x) − x for small |x|. */
export function log1pmx(x: number): number {
  if (Math.abs(x) > 0.5) return Math.log1p(x) - x;
  // log(1+x) = 2·atanh(t), t = x/(2+x), and 2t − x = −t·x: a series in t² ≤ 1/9 with no
  // cancellation between its leading terms.
  const t = x / (2 + x);
  const t2 = t * t;
  let pow = t;
  let odd = 0;
  for (let j = 3; j < 80; j += 2) {
    pow *= t2;
    const term = pow / j;
    odd += term;
    if (Math.abs(term) <= EPS * Math.abs(odd)) break;
  }
  return 2 * odd - t * x;
}

/** (−1)ᵏ(ζ(k) − 1)/k for k = 2…29: with the ζ(k) − 1 split, the Taylor series of ln Γ(1+a)
 * converges like (a/2)ᵏ, enough for |a| ≤ ½ in 28 terms. */
const LGAM1P_COEF = [
  0.3224670334241132, -0.0673523010531981, 0.020580808427784546, -0.007385551028673986,
  0.0028905103307415234, -0.001192753911703261, 0.0005096695247430425, -0.00022315475845357939,
  9.945751278180853e-5, -4.492623673813314e-5, 2.050721277567069e-5, -9.439488275268397e-6,
  4.374866789907488e-6, -2.039215753801366e-6, 9.55141213040742e-7, -4.492469198764566e-7,
  2.1207184805554665e-7, -1.0043224823968099e-7, 4.7698101693639804e-8, -2.2711094608943164e-8,
  1.0838659214896955e-8, -5.183475041970047e-9, 2.4836745438024785e-9, -1.1921401405860912e-9,
  5.731367241678862e-10, -2.7595228851242334e-10, 1.330476437424449e-10, -6.4229645638381e-11,
];

/** ln Γ(1+a) for |a| ≤ ½: −γa − log1pmx(a) + Σ (−1)ᵏ(ζ(k)−1)aᵏ/k (DLMF 5.7.3). */
function lgam1pSmall(a: number): number {
  let s = 0;
  for (let k = LGAM1P_COEF.length - 1; k >= 0; k--) s = s * a + (LGAM1P_COEF[k] as number);
  return -EULER_GAMMA * a - log1pmx(a) + s * a * a;
}

/** Γ(a) for 0 < a < 10, from ln Γ(1+t), |t| ≤ ½, and the recurrence Γ(t+1) = t·Γ(t) (its
 * shifts by integers are exact). Not stdlib's gammaln: that is 2e-15 off at a = 1.2. */
export function gammaSmall(a: number): number {
  if (a < 0.5) return Math.exp(lgam1pSmall(a)) / a;
  let t = a;
  let prod = 1;
  while (t >= 1.5) {
    t -= 1;
    prod *= t;
  }
  return prod * Math.exp(lgam1pSmall(t - 1));
}

/** ln Γ(1+a) for −½ ≤ a < 9, accurate relative to its own small size near a = 0 and a = 1,
 * where the log of a gamma function of 1 + a would lose the low bits of a. */
export function lgam1p(a: number): number {
  if (Math.abs(a) <= 0.5) return lgam1pSmall(a);
  if (Math.abs(a - 1) <= 0.5) return Math.log1p(a - 1) + lgam1pSmall(a - 1);
  return Math.log(gammaSmall(1 + a));
}

/** ln Γ*(a) by the Stirling series (DLMF 5.11.1), B₂ⱼ/(2j(2j−1)·a²ʲ⁻¹); 8 terms reach 1e-17
 * absolute at a = 10, the smallest a it is used for. */
function lnGammaStar(a: number): number {
  const r = 1 / (a * a);
  const s =
    1 / 12 +
    r *
      (-1 / 360 +
        r *
          (1 / 1260 +
            r *
              (-1 / 1680 +
                r * (1 / 1188 + r * (-691 / 360360 + r * (1 / 156 + r * (-3617 / 122400)))))));
  return s / a;
}

/** a·(log(x/a) − (x−a)/a), i.e. a·log1pmx(σ) with σ = (x−a)/a, taking ln(x/a) directly when
 * x ≪ a (σ near −1 would lose the digits of x/a). */
function scaledLogTerm(a: number, x: number): number {
  const sigma = (x - a) / a;
  if (sigma < -0.5) return a * (Math.log(x / a) - sigma);
  return a * log1pmx(sigma);
}

/** xᵃ·e⁻ˣ/Γ(a), the factor in front of every series and continued fraction. */
function powExpOverGamma(a: number, x: number): number {
  if (a >= 10) {
    return Math.sqrt(a / TWO_PI) * Math.exp(scaledLogTerm(a, x) - lnGammaStar(a));
  }
  // Small a: each factor has a small exponent, so a product of correctly-rounded factors is
  // better than one exp of a sum. Past x = 1400 the result is below 1e-300 for every a < 10.
  if (x > 1400) return Math.exp(a * Math.log(x) - x - Math.log(gammaSmall(a)));
  const half = Math.exp(-x / 2);
  return (Math.pow(x, a) / gammaSmall(a)) * half * half;
}

/** P(a, x) by the power series γ(a,x) = xᵃe⁻ˣ Σ xⁿ/(a(a+1)…(a+n)) (DLMF 8.7.1/8.11.4). */
export function lowerSeries(a: number, x: number): number {
  const fac = powExpOverGamma(a, x);
  if (fac === 0) return 0;
  let r = a;
  let term = 1;
  let sum = 1;
  for (let i = 0; i < MAX_ITER; i++) {
    r += 1;
    term *= x / r;
    sum += term;
    if (term <= EPS * sum) break;
  }
  return (sum * fac) / a;
}

/** Γ(a,x)/(xᵃe⁻ˣ) by Legendre's continued fraction (DLMF 8.9.2), 1/(b₀ − a₁/(b₁ − a₂/(b₂ − …)))
 * with bᵢ = x + 2i + 1 − a, aᵢ = i(i − a); x ≥ a. The modified Lentz pass only finds how many
 * terms are needed: its running product gathers one rounding per term (6e-15 after the 80 terms
 * at x = 1), while evaluating the same convergent from the tail back stays within a few ulp. */
function upperFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let n = 1;
  for (; n < MAX_ITER; n++) {
    const an = -n * (n - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    if (Math.abs(d * c - 1) <= 2 * EPS) break;
  }
  let f = x + 2 * (n + 2) + 1 - a;
  for (let i = n + 1; i >= 0; i--) f = x + 2 * i + 1 - a - ((i + 1) * (i + 1 - a)) / f;
  return 1 / f;
}

/** Q(a, x) by the continued fraction, for x ≥ a and x > 1. */
export function upperFractionQ(a: number, x: number): number {
  const fac = powExpOverGamma(a, x);
  return fac === 0 ? 0 : fac * upperFraction(a, x);
}

/** erfc(y) = Γ(½, y²)/√π (DLMF 7.11.2): the continued fraction where y² > 1, the Maclaurin
 * series of erf below, where 1 − erf loses at most a factor 6 to cancellation. */
export function erfc(y: number): number {
  if (Number.isNaN(y)) return NaN;
  const ay = Math.abs(y);
  let tail: number;
  if (ay * ay > 1) {
    // y² = x + lo exactly (Dekker's product), so e^(−y²) does not inherit y²'s rounding (3e-15
    // relative at y = 5).
    const split = 134217729 * ay;
    const hi = split - (split - ay);
    const low = ay - hi;
    const x = ay * ay;
    const lo = hi * hi - x + 2 * hi * low + low * low;
    tail = x > 800 ? 0 : ((ay * Math.exp(-x) * (1 - lo)) / SQRT_PI) * upperFraction(0.5, x);
  } else {
    // erf(y) = 2/√π Σ (−1)ⁿ y²ⁿ⁺¹/(n!(2n+1))
    const y2 = ay * ay;
    let pow = ay;
    let sum = ay;
    for (let n = 1; n < 60; n++) {
      pow *= -y2 / n;
      const term = pow / (2 * n + 1);
      sum += term;
      if (Math.abs(term) <= EPS * Math.abs(sum)) break;
    }
    tail = 1 - (2 / SQRT_PI) * sum;
  }
  return y < 0 ? 2 - tail : tail;
}
